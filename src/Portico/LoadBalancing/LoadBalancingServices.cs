using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.LoadBalancing;

namespace Portico.LoadBalancing;

/// <summary>The public face of load balancing: our policies beside YARP's (its stage is YARP's UseLoadBalancing).</summary>
internal static class LoadBalancingServices
{
    public static IServiceCollection AddPorticoLoadBalancing(this IServiceCollection services)
    {
        services.AddSingleton<ILoadBalancingPolicy, WeightedRoundRobinPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, ConsistentHashPolicy>();
        return services;
    }
}
