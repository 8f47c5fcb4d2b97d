using Portico.Configuration.Model;
using Yarp.ReverseProxy.Configuration;

namespace Portico.Configuration;

/// <summary>The outcome of loading a config: the settings and their YARP form, or every error.</summary>
internal sealed record LoadedConfig(
    string Source,
    PorticoSettings? Settings,
    IReadOnlyList<RouteConfig> Routes,
    IReadOnlyList<ClusterConfig> Clusters,
    IReadOnlyList<ConfigError> Errors)
{
    /// <summary>SHA-256 of the text that was read, so a reload can tell an unchanged file; empty when unreadable.</summary>
    public byte[] ContentHash { get; init; } = [];

    /// <summary>State built from the settings by each <see cref="IConfigRuntimeBuilder"/>; the snapshot that serves this config owns it.</summary>
    public IReadOnlyList<IDisposable> Runtimes { get; init; } = [];

    /// <summary>Frees the built state of a config that will not be applied.</summary>
    public void Discard()
    {
        foreach (var runtime in Runtimes)
        {
            runtime.Dispose();
        }
    }

    public bool IsValid => Settings is not null && Errors.Count == 0;

    public string Summary => Settings is null
        ? $"{Source}: {Errors.Count} error(s)"
        : $"{Source}: OK: {Settings.Listeners.Count} listener(s), {Settings.Routes.Count} route(s), {Settings.Clusters.Count} cluster(s), {Settings.Clusters.Sum(c => c.Destinations.Count)} destination(s)";
}
