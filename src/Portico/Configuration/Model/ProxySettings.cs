using System.Net;

namespace Portico.Configuration.Model;

/// <summary>The `proxy` section: behaviour shared by every route.</summary>
internal sealed record ProxySettings
{
    public static readonly IReadOnlyList<string> DefaultHiddenHeaders =
        ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Runtime", "X-Generator", "Via"];

    /// <summary>`trustedProxies`: CIDRs whose X-Forwarded-*/Forwarded values are kept. Default: none.</summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>`hideResponseHeaders`: backend response headers removed before the client sees them.</summary>
    public IReadOnlyList<string> HideResponseHeaders { get; init; } = DefaultHiddenHeaders;

    /// <summary>`forwardedHeaders`: which headers tell backends about the client: x-forwarded, forwarded.</summary>
    public ForwardedHeaderKinds ForwardedHeaders { get; init; } = ForwardedHeaderKinds.XForwarded | ForwardedHeaderKinds.Forwarded;

    /// <summary>`shutdownGracePeriod`: how long in-flight requests may finish on SIGTERM. Default 30s.</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// `shutdownDelay`: on SIGTERM, how long the listeners keep accepting while the admin
    /// listener's /readyz answers 503, before they close and the grace period starts. Read at
    /// start. Default 0s.
    /// </summary>
    public TimeSpan ShutdownDelay { get; init; }

    /// <summary>
    /// `releaseMemoryAfter`: how long the proxy must be at rest (no request in flight, none
    /// answered) before it hands memory it no longer uses back to the system (Hosting/MemoryRelease).
    /// 0 turns it off. Default 30s.
    /// </summary>
    public TimeSpan ReleaseMemoryAfter { get; init; } = TimeSpan.FromSeconds(30);
}

[Flags]
internal enum ForwardedHeaderKinds
{
    None = 0,
    XForwarded = 1,
    Forwarded = 2,
}
