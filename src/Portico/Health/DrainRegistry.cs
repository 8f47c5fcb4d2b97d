using System.Collections.Concurrent;

namespace Portico.Health;

/// <summary>Destinations an operator has drained through the admin API: they get no new requests until re-enabled.</summary>
internal sealed class DrainRegistry
{
    private readonly ConcurrentDictionary<(string Cluster, string Destination), bool> _drained = new();

    public bool IsDrained(string cluster, string destination) => _drained.ContainsKey((cluster, destination));

    public void Drain(string cluster, string destination) => _drained[(cluster, destination)] = true;

    public void Enable(string cluster, string destination) => _drained.TryRemove((cluster, destination), out _);
}
