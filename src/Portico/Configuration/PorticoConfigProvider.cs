using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Portico.Configuration;

/// <summary>Feeds YARP the routes and clusters translated from portico.yaml; a reload swaps them whole.</summary>
internal sealed class PorticoConfigProvider : IProxyConfigProvider
{
    private volatile Snapshot _current = new([], [], "0");

    public IProxyConfig GetConfig() => _current;

    public void Update(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters, int revision)
    {
        var previous = _current;
        _current = new Snapshot(routes, clusters, revision.ToString(System.Globalization.CultureInfo.InvariantCulture));
        previous.Changed();
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
