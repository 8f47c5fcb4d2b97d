using Portico.Configuration.Model;

namespace Portico.Observability;

/// <summary>
/// What the configs loaded since start can put in a metric's labels: the route ids, the
/// (route, cluster) pairs, clusters, destinations and listeners, and which routes use each
/// labelled feature. It only grows: OpenTelemetry keeps a series it has seen until the process
/// ends (cumulative temporality), so the series of a route a reload removed still take a place.
/// </summary>
internal sealed class MetricShape
{
    private readonly HashSet<string> _routes = new(StringComparer.Ordinal);
    private readonly HashSet<(string Route, string Cluster)> _routeClusters = [];
    private readonly HashSet<string> _clusters = new(StringComparer.Ordinal);
    private readonly HashSet<(string Cluster, string Destination)> _destinations = [];
    private readonly HashSet<string> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<RouteFeature, HashSet<string>> _features = [];

    public MetricShape(PorticoSettings settings) => Add(settings);

    /// <summary>A cluster finds its destinations by DNS: how many there will be is not in the config.</summary>
    public bool Discovers { get; private set; }

    // Each count adds one for the empty label: a request no route matched is counted under
    // route "" and cluster "".
    public int Routes => _routes.Count + 1;

    public int RouteClusters => _routeClusters.Count + 1;

    public int Clusters => _clusters.Count + 1;

    public int Destinations => _destinations.Count + 1;

    public int Listeners => _listeners.Count + 1;

    /// <summary>Listeners that serve TLS. Listeners change only with a restart, so a reload cannot add one.</summary>
    public int TlsListeners { get; private set; }

    public int RoutesWith(RouteFeature feature) => (_features.TryGetValue(feature, out var routes) ? routes.Count : 0) + 1;

    public void Add(PorticoSettings settings)
    {
        foreach (var route in settings.Routes)
        {
            _routes.Add(route.Id);
            _routeClusters.Add((route.Id, route.Cluster ?? ""));
            foreach (var arm in route.Split?.Arms ?? [])
            {
                _routeClusters.Add((route.Id, arm.Cluster));
            }

            foreach (var feature in Enum.GetValues<RouteFeature>())
            {
                if (Uses(route, feature))
                {
                    (_features.TryGetValue(feature, out var routes) ? routes : _features[feature] = new(StringComparer.Ordinal)).Add(route.Id);
                }
            }
        }

        foreach (var cluster in settings.Clusters)
        {
            _clusters.Add(cluster.Id);
            Discovers |= cluster.Discovery is not null;
            foreach (var destination in cluster.Destinations)
            {
                _destinations.Add((cluster.Id, destination.Name));
            }
        }

        foreach (var listener in settings.Listeners)
        {
            if (_listeners.Add(listener.Name) && listener.Tls is not null)
            {
                TlsListeners++;
            }
        }
    }

    private static bool Uses(RouteSettings route, RouteFeature feature) => feature switch
    {
        RouteFeature.Waf => route.Waf.Mode != WafMode.Off,
        RouteFeature.Auth => route.Auth is not null,
        RouteFeature.Cors => route.Cors is not null,
        RouteFeature.BodyRewrite => route.BodyRewrite is not null,
        RouteFeature.Split => route.Split is not null,
        RouteFeature.Redirects => route.Redirects.Count > 0 || route.Normalize is not null || route.Rewrite is not null,
        RouteFeature.Mirror => route.Mirror is not null,
        RouteFeature.Cache => route.Cache is not null,
        _ => true,
    };
}

/// <summary>A per-route feature whose instruments are labelled by route: only its routes add series.</summary>
internal enum RouteFeature
{
    Waf,
    Auth,
    Cors,
    BodyRewrite,
    Split,
    Redirects,
    Mirror,
    Cache,
}
