using System.Collections.Frozen;
using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>One validated config with the per-route and per-cluster lookups built once at load.</summary>
internal sealed class ConfigSnapshot
{
    public static readonly ConfigSnapshot Empty = new(
        new PorticoSettings { Listeners = [], Proxy = new ProxySettings(), Routes = [], Clusters = [] }, source: "", revision: 0);

    private readonly FrozenDictionary<string, RouteSettings> _routes;
    private readonly FrozenDictionary<string, ClusterRuntime> _clusters;

    public ConfigSnapshot(PorticoSettings settings, string source, int revision)
    {
        Settings = settings;
        Source = source;
        Revision = revision;
        _routes = settings.Routes.ToFrozenDictionary(r => r.Id, StringComparer.Ordinal);
        _clusters = settings.Clusters.ToFrozenDictionary(c => c.Id, c => new ClusterRuntime(c), StringComparer.Ordinal);
    }

    public PorticoSettings Settings { get; }

    /// <summary>The file the config came from, or "(built-in demo)".</summary>
    public string Source { get; }

    /// <summary>Counts applied configs, starting at 1.</summary>
    public int Revision { get; }

    public RouteSettings? Route(string id) => _routes.GetValueOrDefault(id);

    public ClusterRuntime? Cluster(string id) => _clusters.GetValueOrDefault(id);
}
