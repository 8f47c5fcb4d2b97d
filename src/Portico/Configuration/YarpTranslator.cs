using System.Globalization;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Health;
using Portico.LoadBalancing;
using Portico.Tls;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Configuration;

/// <summary>Our config model → YARP's routes and clusters. Pure: same settings, same output.</summary>
internal static class YarpTranslator
{
    private const string CatchAll = "{**portico-rest}";

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Translate(PorticoSettings settings)
        => (settings.Routes.Select(ToRoute).ToArray(), settings.Clusters.Select(ToCluster).ToArray());

    public static RouteConfig ToRoute(RouteSettings route)
    {
        var m = route.Match;
        return new RouteConfig
        {
            RouteId = route.Id,
            ClusterId = route.Cluster,
            Order = route.Order,
            Timeout = route.Timeout,
            Match = new RouteMatch
            {
                Hosts = m.Hosts.Count > 0 ? m.Hosts : null,
                Path = PathOf(m),
                Methods = m.Methods.Count > 0 ? m.Methods : null,
                Headers = m.Headers.Count > 0 ? m.Headers.Select(ToHeader).ToArray() : null,
                QueryParameters = m.Query.Count > 0 ? m.Query.Select(ToQuery).ToArray() : null,
            },
            Transforms = route.PreserveHost ? [new Dictionary<string, string> { ["RequestHeaderOriginalHost"] = "true" }] : null,
        };
    }

    internal static string PathOf(RouteMatchSettings m)
    {
        if (m.Path is not null)
        {
            return m.Path;
        }

        var prefix = (m.PathPrefix ?? "/").TrimEnd('/');
        return $"{prefix}/{CatchAll}";
    }

    private static RouteHeader ToHeader(ValueMatchSettings h) => new()
    {
        Name = h.Name,
        Values = h.Values.Count > 0 ? h.Values : null,
        IsCaseSensitive = h.CaseSensitive,
        Mode = h.Mode switch
        {
            ValueMatchMode.Prefix => HeaderMatchMode.HeaderPrefix,
            ValueMatchMode.Contains => HeaderMatchMode.Contains,
            ValueMatchMode.NotContains => HeaderMatchMode.NotContains,
            ValueMatchMode.Exists => HeaderMatchMode.Exists,
            ValueMatchMode.NotExists => HeaderMatchMode.NotExists,
            _ => HeaderMatchMode.ExactHeader,
        },
    };

    private static RouteQueryParameter ToQuery(ValueMatchSettings q) => new()
    {
        Name = q.Name,
        Values = q.Values.Count > 0 ? q.Values : null,
        IsCaseSensitive = q.CaseSensitive,
        Mode = q.Mode switch
        {
            ValueMatchMode.Prefix => QueryParameterMatchMode.Prefix,
            ValueMatchMode.Contains => QueryParameterMatchMode.Contains,
            ValueMatchMode.NotContains => QueryParameterMatchMode.NotContains,
            ValueMatchMode.Exists => QueryParameterMatchMode.Exists,
            _ => QueryParameterMatchMode.Exact,
        },
    };

    public static ClusterConfig ToCluster(ClusterSettings c)
    {
        var http2 = c.HttpVersion == "2";
        return new ClusterConfig
        {
            ClusterId = c.Id,
            LoadBalancingPolicy = PolicyNames.ToYarp(c.LoadBalancing),
            Destinations = c.Destinations.ToDictionary(d => d.Name, d => new DestinationConfig { Address = d.Address.ToString() }, StringComparer.OrdinalIgnoreCase),
            HttpRequest = new ForwarderRequestConfig
            {
                ActivityTimeout = c.Timeout,
                Version = http2 ? new Version(2, 0) : new Version(1, 1),
                // h2c has no ALPN to fall back with, so HTTP/2 toward a backend is asked for exactly.
                VersionPolicy = http2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
            },
            HttpClient = new HttpClientConfig
            {
                MaxConnectionsPerServer = c.MaxConnectionsPerServer,
                EnableMultipleHttp2Connections = true,
            },
            HealthCheck = new HealthCheckConfig
            {
                // YARP's default, HealthyOrPanic, sends traffic to every destination once all are
                // down; ours answers 503 at once instead, and also leaves drained ones out.
                AvailableDestinationsPolicy = AvailableDestinationsPolicy.PolicyName,
                Active = c.ActiveHealth is { } a ? new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = a.Interval,
                    Timeout = a.Timeout,
                    Policy = HealthPolicyNames.Active,
                    Path = a.Path.Split('?', 2)[0],
                    Query = a.Path.Contains('?') ? "?" + a.Path.Split('?', 2)[1] : null,
                } : null,
                Passive = c.PassiveHealth is { } p ? new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = HealthPolicyNames.Passive,
                    ReactivationPeriod = p.ReactivateAfter,
                } : null,
            },
            Metadata = Metadata(c),
        };
    }

    private static Dictionary<string, string> Metadata(ClusterSettings c)
    {
        var metadata = new Dictionary<string, string>
        {
            [PorticoHttpClientFactory.ConnectTimeoutKey] = c.ConnectTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
            [PorticoHttpClientFactory.TlsKey] = BackendTls.Describe(c.Tls),
        };
        if (c.Discovery is { } discovery)
        {
            metadata[DiscoveredDestinations.SourceKey] = discovery.Describe();
        }

        return metadata;
    }
}
