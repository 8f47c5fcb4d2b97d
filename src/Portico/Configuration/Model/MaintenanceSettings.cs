using System.Net;

namespace Portico.Configuration.Model;

/// <summary>
/// A route's `maintenance` section: the route may be taken out of service (by `enabled` here or
/// by the admin API), answering 503 with Retry-After and a page, except to the listed clients.
/// </summary>
internal sealed record MaintenanceSettings
{
    /// <summary>`enabled`: the route is in maintenance from this config on (the admin API can override). Default false.</summary>
    public bool Enabled { get; init; }

    /// <summary>`page`: the page served. Default: the route's, else the top-level, `errorPages.503`; else Portico's own maintenance page.</summary>
    public ErrorPageSettings? Page { get; init; }

    /// <summary>`retryAfter`: sent as Retry-After in whole seconds (RFC 9110 §10.2.3). Default 5m.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>`allowIps`: client addresses (after `proxy.trustedProxies`) still forwarded to the backend. Default: none.</summary>
    public IReadOnlyList<IPNetwork> AllowIps { get; init; } = [];
}
