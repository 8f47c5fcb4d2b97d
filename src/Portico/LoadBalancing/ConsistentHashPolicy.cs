using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Forwarding;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Portico.LoadBalancing;

/// <summary>
/// Sends each key (client IP, a header or a cookie) to the same destination for as long as that
/// destination is available; when it is not, the key moves to its neighbour on the ring only.
/// A request without the header or cookie falls back to its client IP.
/// </summary>
internal sealed class ConsistentHashPolicy(ActiveConfig config) : ILoadBalancingPolicy
{
    public const string PolicyName = "PorticoConsistentHash";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        var runtime = config.Current.Cluster(cluster.ClusterId);
        if (runtime is null)
        {
            return availableDestinations[0];
        }

        var key = runtime.HashKey.KeyOf(context);
        var owner = runtime.Ring.Find(HashRing.Hash(key), id => Contains(availableDestinations, id));
        foreach (var destination in availableDestinations)
        {
            if (destination.DestinationId == owner)
            {
                return destination;
            }
        }

        // The ring is rebuilt with the config, YARP's destinations a moment later: bridge the gap.
        return availableDestinations[(int)(HashRing.Hash(key) % (ulong)availableDestinations.Count)];
    }

    private static bool Contains(IReadOnlyList<DestinationState> destinations, string id)
    {
        foreach (var d in destinations)
        {
            if (d.DestinationId == id)
            {
                return true;
            }
        }

        return false;
    }
}
