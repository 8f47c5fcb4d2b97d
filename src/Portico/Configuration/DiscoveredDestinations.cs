using System.Collections.Concurrent;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Portico.Configuration;

/// <summary>
/// Destinations found while running (Discovery/ resolves a cluster's `discovery` name), by
/// cluster. <see cref="PorticoConfigProvider"/> adds them to the listed destinations of the
/// clusters it hands YARP, so a change of records reaches YARP as a change of destinations:
/// one kept keeps its state (health, drain, in-flight count), one gone gets no new requests
/// while its requests in flight finish. A found set is used only while the cluster's
/// discovery is the one that found it, so a reload that changes it never serves stale records.
/// </summary>
internal sealed class DiscoveredDestinations
{
    /// <summary>ClusterConfig metadata: the cluster's discovery (<c>DnsDiscoverySettings.Describe</c>).</summary>
    public const string SourceKey = "portico.discovery";

    /// <summary>DestinationConfig metadata: found after the first answer, so it waits for a passing active check.</summary>
    public const string JoinAfterCheckKey = "portico.joinAfterCheck";

    /// <summary>
    /// Whether <paramref name="destination"/> was found after its cluster's first answer and no
    /// active probe has judged it yet. With the cluster's active checks on, it takes no traffic
    /// until a probe passes (Health/), and until then it is joining, not down: nothing has found
    /// it failing (the admin API, the dashboard and the metrics say so).
    /// </summary>
    public static bool AwaitsFirstCheck(DestinationState destination)
        => destination.Health.Active == DestinationHealth.Unknown
           && destination.Model.Config.Metadata?.ContainsKey(JoinAfterCheckKey) == true;

    /// <summary><see cref="AwaitsFirstCheck"/> in a cluster whose active checks are on: held back, joining.</summary>
    public static bool Joining(ClusterState cluster, DestinationState destination)
        => cluster.Model.Config.HealthCheck?.Active?.Enabled == true && AwaitsFirstCheck(destination);

    private readonly ConcurrentDictionary<string, Found> _found = new(StringComparer.Ordinal);

    /// <summary>Raised after a cluster's found set changed.</summary>
    public event Action? Changed;

    public void Set(string cluster, string source, IReadOnlyDictionary<string, DestinationConfig> destinations)
    {
        _found[cluster] = new Found(source, destinations);
        Changed?.Invoke();
    }

    public void Remove(string cluster) => _found.TryRemove(cluster, out _);

    /// <summary>Whether the cluster has had an answer for its current discovery.</summary>
    public bool HasAnswer(string cluster, string source) => _found.TryGetValue(cluster, out var found) && found.Source == source;

    /// <summary><paramref name="cluster"/> with the destinations its current discovery found added.</summary>
    public ClusterConfig Merge(ClusterConfig cluster)
    {
        if (cluster.Metadata?.GetValueOrDefault(SourceKey) is not { } source
            || !_found.TryGetValue(cluster.ClusterId, out var found) || found.Source != source || found.Destinations.Count == 0)
        {
            return cluster;
        }

        var merged = new Dictionary<string, DestinationConfig>(cluster.Destinations ?? new Dictionary<string, DestinationConfig>(), StringComparer.OrdinalIgnoreCase);
        foreach (var (id, destination) in found.Destinations)
        {
            // A listed destination of the same name wins: the operator wrote it.
            merged.TryAdd(id, destination);
        }

        return cluster with { Destinations = merged };
    }

    private sealed record Found(string Source, IReadOnlyDictionary<string, DestinationConfig> Destinations);
}
