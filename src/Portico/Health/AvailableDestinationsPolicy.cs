using Portico.Configuration;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Portico.Health;

/// <summary>
/// Which destinations take traffic: those no enabled health check calls unhealthy and that are
/// not drained. When none is left the cluster answers 503 at once (no "panic" spreading). A
/// destination DNS discovery found after its first answer also waits, while active checks are
/// on, for its first passing probe: a record can name an address that is not serving yet.
/// </summary>
internal sealed class AvailableDestinationsPolicy(DrainRegistry drains) : IAvailableDestinationsPolicy
{
    public const string PolicyName = "PorticoAvailable";

    public string Name => PolicyName;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        var active = config.HealthCheck?.Active?.Enabled == true;
        var passive = config.HealthCheck?.Passive?.Enabled == true;
        var available = new List<DestinationState>(allDestinations.Count);
        foreach (var destination in allDestinations)
        {
            var health = destination.Health;
            if ((active && health.Active == DestinationHealth.Unhealthy)
                || (passive && health.Passive == DestinationHealth.Unhealthy)
                || drains.IsDrained(destination)
                || (active && DiscoveredDestinations.AwaitsFirstCheck(destination)))
            {
                continue;
            }

            available.Add(destination);
        }

        return available;
    }
}
