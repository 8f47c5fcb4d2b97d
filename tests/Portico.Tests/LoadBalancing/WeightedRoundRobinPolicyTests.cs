using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Portico.Tests.LoadBalancing;

public sealed class WeightedRoundRobinPolicyTests
{
    private static (WeightedRoundRobinPolicy Policy, ClusterState Cluster, DestinationState[] Destinations) Setup(params int[] weights)
    {
        var destinations = weights.Select((w, i) => new DestinationSettings { Name = $"d{i}", Address = new Uri($"http://127.0.0.1:{9000 + i}"), Weight = w }).ToArray();
        var settings = new PorticoSettings
        {
            Listeners = [],
            Proxy = new ProxySettings(),
            Routes = [],
            Clusters = [new ClusterSettings { Id = "c", Destinations = destinations, LoadBalancing = PolicyNames.Weighted }],
        };
        var active = new ActiveConfig();
        active.Set(new ConfigSnapshot(settings, "test", 1));
        return (new WeightedRoundRobinPolicy(active), new ClusterState("c"), destinations.Select(d => new DestinationState(d.Name)).ToArray());
    }

    [Fact]
    public void Shares_are_exactly_proportional_to_weights()
    {
        var (policy, cluster, destinations) = Setup(1, 2, 3);

        var picks = Enumerable.Range(0, 600).Select(_ => policy.PickDestination(new DefaultHttpContext(), cluster, destinations)!.DestinationId).ToArray();

        Assert.Equal(100, picks.Count(p => p == "d0"));
        Assert.Equal(200, picks.Count(p => p == "d1"));
        Assert.Equal(300, picks.Count(p => p == "d2"));
    }

    [Fact]
    public void Picks_are_interleaved_not_in_bursts()
    {
        var (policy, cluster, destinations) = Setup(5, 1, 1);

        var picks = string.Concat(Enumerable.Range(0, 7).Select(_ => policy.PickDestination(new DefaultHttpContext(), cluster, destinations)!.DestinationId[1]));

        // Smooth weighted round robin: the heavy destination never takes more than two in a row here.
        Assert.Equal("0010200", picks);
    }

    [Fact]
    public void Only_available_destinations_share_the_traffic()
    {
        var (policy, cluster, destinations) = Setup(1, 1, 2);
        var available = new[] { destinations[0], destinations[2] };

        var picks = Enumerable.Range(0, 300).Select(_ => policy.PickDestination(new DefaultHttpContext(), cluster, available)!.DestinationId).ToArray();

        Assert.Equal(100, picks.Count(p => p == "d0"));
        Assert.Equal(200, picks.Count(p => p == "d2"));
        Assert.Null(policy.PickDestination(new DefaultHttpContext(), cluster, []));
    }
}
