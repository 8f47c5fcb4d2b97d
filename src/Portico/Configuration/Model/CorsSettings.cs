namespace Portico.Configuration.Model;

/// <summary>A route's `cors` section: which other origins' pages may call it from a browser (Fetch standard, CORS protocol).</summary>
internal sealed record CorsSettings
{
    /// <summary>`allowOrigins`: `https://app.example.com`, `https://*.example.com` (any subdomain) or `*`. Required.</summary>
    public required IReadOnlyList<string> AllowOrigins { get; init; }

    /// <summary>`allowMethods`: methods a preflight allows. Default GET, HEAD, POST.</summary>
    public IReadOnlyList<string> AllowMethods { get; init; } = ["GET", "HEAD", "POST"];

    /// <summary>`allowHeaders`: request headers a preflight allows, or `*`. Default: none.</summary>
    public IReadOnlyList<string> AllowHeaders { get; init; } = [];

    /// <summary>`allowCredentials`: let pages send cookies and credentials. Default false.</summary>
    public bool AllowCredentials { get; init; }

    /// <summary>`exposeHeaders`: response headers pages may read beyond the safelisted ones. Default: none.</summary>
    public IReadOnlyList<string> ExposeHeaders { get; init; } = [];

    /// <summary>`maxAge`: how long a browser may keep a preflight's answer. Default: not sent (the browser's own, 5 s in most).</summary>
    public TimeSpan? MaxAge { get; init; }
}
