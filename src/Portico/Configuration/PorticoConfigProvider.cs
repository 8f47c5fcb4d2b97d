using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Portico.Configuration;

/// <summary>
/// Feeds YARP the routes and clusters translated from portico.yaml; a reload swaps them whole.
/// Clusters with DNS discovery also get the destinations found so far, and a new answer hands
/// YARP the same revision again with the new set.
/// </summary>
internal sealed class PorticoConfigProvider : IProxyConfigProvider
{
    private readonly Lock _gate = new();
    private readonly DiscoveredDestinations _discovered;
    private volatile Snapshot _current = new([], [], "0");
    private IReadOnlyList<RouteConfig> _routes = [];
    private IReadOnlyList<ClusterConfig> _clusters = [];
    private string _revision = "0";

    public PorticoConfigProvider(DiscoveredDestinations discovered)
    {
        _discovered = discovered;
        discovered.Changed += Publish;
    }

    public IProxyConfig GetConfig() => _current;

    public void Update(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters, int revision)
    {
        lock (_gate)
        {
            (_routes, _clusters, _revision) = (routes, clusters, revision.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Publish();
        }
    }

    private void Publish()
    {
        lock (_gate)
        {
            var previous = _current;
            _current = new Snapshot(_routes, _clusters.Select(_discovered.Merge).ToArray(), _revision);
            previous.Changed();
        }
    }

    private sealed class Snapshot : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters, string revision)
        {
            Routes = routes;
            Clusters = clusters;
            RevisionId = revision;
            ChangeToken = new CancellationChangeToken(_changed.Token);
        }

        public string RevisionId { get; }

        public IReadOnlyList<RouteConfig> Routes { get; }

        public IReadOnlyList<ClusterConfig> Clusters { get; }

        public IChangeToken ChangeToken { get; }

        public void Changed() => _changed.Cancel();
    }
}
