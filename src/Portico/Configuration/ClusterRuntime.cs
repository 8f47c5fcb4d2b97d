using System.Collections.Frozen;
using Portico.Configuration.Model;
using Portico.LoadBalancing;

namespace Portico.Configuration;

/// <summary>A cluster's settings plus what its policies need, computed once per config.</summary>
internal sealed class ClusterRuntime
{
    private readonly FrozenDictionary<string, int> _weights;
    private readonly Lazy<HashRing> _ring;

    public ClusterRuntime(ClusterSettings settings)
    {
        Settings = settings;
        _weights = settings.Destinations.ToFrozenDictionary(d => d.Name, d => d.Weight, StringComparer.Ordinal);
        HashKey = HashKeySpec.TryParse(settings.HashKey, out var spec) ? spec : HashKeySpec.ClientIp;
        _ring = new Lazy<HashRing>(() => new HashRing(settings.Destinations.Select(d => (d.Name, d.Weight))));
    }

    public ClusterSettings Settings { get; }

    public HashKeySpec HashKey { get; }

    public HashRing Ring => _ring.Value;

    public int WeightOf(string destination) => _weights.GetValueOrDefault(destination, 1);
}
