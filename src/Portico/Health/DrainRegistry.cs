using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Model;

namespace Portico.Health;

/// <summary>
/// Destinations an operator has drained through the admin API: they get no new requests until
/// re-enabled. A drain belongs to the running destination, so it survives a reload that keeps
/// the destination and ends with a reload that removes it: a destination added back later is
/// a new one and takes traffic, rather than staying out on a decision made about its predecessor.
/// </summary>
internal sealed class DrainRegistry
{
    private readonly ConditionalWeakTable<DestinationState, object> _drained = new();

    public bool IsDrained(DestinationState destination) => _drained.TryGetValue(destination, out _);

    public void Drain(DestinationState destination) => _drained.AddOrUpdate(destination, destination);

    public void Enable(DestinationState destination) => _drained.Remove(destination);
}
