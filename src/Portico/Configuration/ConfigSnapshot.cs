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
    private readonly IReadOnlyList<IDisposable> _runtimes;

    public ConfigSnapshot(PorticoSettings settings, string source, int revision, IReadOnlyList<IDisposable>? runtimes = null)
    {
        Settings = settings;
        _runtimes = runtimes ?? [];
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

    /// <summary>The state an <see cref="IConfigRuntimeBuilder"/> built for this config, if any.</summary>
    public T? Runtime<T>()
        where T : class
    {
        foreach (var runtime in _runtimes)
        {
            if (runtime is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Called once a newer snapshot serves; requests still using this one's state keep it alive until they finish.</summary>
    public void Retire()
    {
        foreach (var runtime in _runtimes)
        {
            runtime.Dispose();
        }
    }
}
