using Microsoft.Extensions.Logging;

namespace Portico.Tls;

/// <summary>TLS log events (ids 4000–4099; ACME AcmeLog 4100–4199).</summary>
internal sealed partial class TlsLog(ILogger<TlsLog> logger)
{
    [LoggerMessage(4001, LogLevel.Warning, "listener '{Listener}' has no certificate configured: serving a SELF-SIGNED DEVELOPMENT certificate for {Names}; clients will not trust it, do not use it in production")]
    public partial void DevelopmentCertificate(string listener, string names);

    [LoggerMessage(4002, LogLevel.Information, "listener '{Listener}' serves {Origin} for {Names} (valid until {NotAfter:u})")]
    public partial void Serving(string listener, string origin, string names, DateTimeOffset notAfter);

    [LoggerMessage(4003, LogLevel.Information, "certificate {Origin} changed on disk; new connections get it (for {Names}, valid until {NotAfter:u})")]
    public partial void Reloaded(string origin, string names, DateTimeOffset notAfter);

    [LoggerMessage(4004, LogLevel.Error, "certificate {Origin} changed on disk but was refused, the previous one stays in use: {Reason}")]
    public partial void ReloadRefused(string origin, string reason);

    [LoggerMessage(4005, LogLevel.Warning, "cluster '{Cluster}': insecureSkipVerify is on, backend certificates are NOT verified; use only in test setups")]
    public partial void InsecureBackend(string cluster);

    [LoggerMessage(4006, LogLevel.Warning, "watching certificate files in {Folder} failed: {Reason}")]
    public partial void WatchFailed(string folder, string reason);

    [LoggerMessage(4007, LogLevel.Warning, "cluster '{Cluster}': a backend certificate failed verification for {Host}: {Errors}")]
    public partial void BackendCertificateRejected(string cluster, string host, string errors);
}
