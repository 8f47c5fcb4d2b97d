using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Admin;

/// <summary>The running config as JSON-friendly values, with secrets (the admin token) redacted.</summary>
internal static class ConfigView
{
    public const string Redacted = "(redacted)";

    public static object From(PorticoSettings s) => new
    {
        listeners = s.Listeners.ToDictionary(l => l.Name, l => new { address = l.EndPoint.ToString(), protocols = new[] { l.Protocols.ToString().ToLowerInvariant() } }),
        proxy = new
        {
            trustedProxies = s.Proxy.TrustedProxies.Select(n => n.ToString()),
            hideResponseHeaders = s.Proxy.HideResponseHeaders,
            forwardedHeaders = s.Proxy.ForwardedHeaders.ToString(),
            shutdownGracePeriod = Duration.Format(s.Proxy.ShutdownGracePeriod),
        },
        routes = s.Routes.ToDictionary(r => r.Id, Route),
        clusters = s.Clusters.ToDictionary(c => c.Id, Cluster),
        admin = new { address = s.Admin.EndPoint.ToString(), enabled = s.Admin.Enabled, token = s.Admin.Token is null ? null : Redacted },
        accessLog = new { enabled = s.AccessLog.Enabled, format = s.AccessLog.Format.ToString().ToLowerInvariant(), output = s.AccessLog.Output, maxSizeBytes = s.AccessLog.MaxSizeBytes, keep = s.AccessLog.Keep },
        cache = new { maxSizeBytes = s.Cache.MaxSizeBytes, maxObjectSizeBytes = s.Cache.MaxObjectSizeBytes, collapseTimeout = Duration.Format(s.Cache.CollapseTimeout) },
        tracing = new { otlpEndpoint = s.Tracing.OtlpEndpoint?.ToString(), serviceName = s.Tracing.ServiceName, sampleRatio = s.Tracing.SampleRatio },
    };

    public static object Route(RouteSettings r) => new
    {
        cluster = r.Cluster,
        match = new
        {
            hosts = r.Match.Hosts,
            path = r.Match.Path,
            pathPrefix = r.Match.PathPrefix,
            pathRegex = r.Match.PathRegex?.ToString(),
            methods = r.Match.Methods,
            headers = r.Match.Headers.ToDictionary(h => h.Name, h => new { values = h.Values, mode = h.Mode.ToString() }),
            query = r.Match.Query.ToDictionary(q => q.Name, q => new { values = q.Values, mode = q.Mode.ToString() }),
        },
        timeout = r.Timeout is { } t ? Duration.Format(t) : null,
        retryNonIdempotent = r.RetryNonIdempotent,
        preserveHost = r.PreserveHost,
        order = r.Order,
        cache = r.Cache is { } c ? new { heuristic = c.Heuristic, collapse = c.Collapse } : null,
        compression = r.Compression is { } z
            ? new { encodings = z.Encodings, mimeTypes = z.MimeTypes, minSizeBytes = z.MinSizeBytes, level = z.Level.ToString().ToLowerInvariant() }
            : null,
    };

    private static object Cluster(ClusterSettings c) => new
    {
        loadBalancing = c.LoadBalancing,
        hashKey = c.LoadBalancing == Portico.LoadBalancing.PolicyNames.ConsistentHash ? c.HashKey : null,
        retries = c.Retries,
        timeout = c.Timeout is { } t ? Duration.Format(t) : null,
        connectTimeout = Duration.Format(c.ConnectTimeout),
        http = new { version = c.HttpVersion, maxConnectionsPerServer = c.MaxConnectionsPerServer },
        destinations = c.Destinations.Select(d => new { name = d.Name, address = d.Address.ToString(), weight = d.Weight }),
        healthCheck = new
        {
            active = c.ActiveHealth is { } a ? new { path = a.Path, interval = Duration.Format(a.Interval), timeout = Duration.Format(a.Timeout), a.HealthyThreshold, a.UnhealthyThreshold, expectedStatus = a.ExpectedStatus.Select(r => r.ToString()) } : null,
            passive = c.PassiveHealth is { } p ? new { p.ConsecutiveFailures, p.FailureRate, window = Duration.Format(p.Window), p.MinimumRequests, reactivateAfter = Duration.Format(p.ReactivateAfter), p.CountServerErrors } : null,
        },
    };
}
