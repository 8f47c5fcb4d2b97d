using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Portico.LoadBalancing;

/// <summary>
/// Smooth weighted round robin (the scheme nginx uses): each destination gets its weight's share
/// of requests, interleaved rather than in bursts, over whichever destinations are available.
/// </summary>
internal sealed class WeightedRoundRobinPolicy(ActiveConfig config) : ILoadBalancingPolicy
{
    public const string PolicyName = "PorticoWeighted";

    private readonly ConditionalWeakTable<ClusterState, Dictionary<DestinationState, long>> _current = new();

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count <= 1)
        {
            return availableDestinations.Count == 0 ? null : availableDestinations[0];
        }

        var runtime = config.Current.Cluster(cluster.ClusterId);
        var current = _current.GetOrCreateValue(cluster);
        lock (current)
        {
            DestinationState? best = null;
            long bestWeight = long.MinValue;
            long total = 0;
            foreach (var destination in availableDestinations)
            {
                var weight = runtime?.WeightOf(destination.DestinationId) ?? 1;
                total += weight;
                ref var cw = ref CollectionsMarshal.GetValueRefOrAddDefault(current, destination, out _);
                cw += weight;
                if (cw > bestWeight)
                {
                    (best, bestWeight) = (destination, cw);
                }
            }

            current[best!] -= total;
            if (current.Count > availableDestinations.Count * 2)
            {
                // Destinations removed by a reload would otherwise linger here.
                current.Clear();
            }

            return best;
        }
    }
}
