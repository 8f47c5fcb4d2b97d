using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.Forwarding;
using Portico.Health;
using Portico.LoadBalancing;
using Portico.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace Portico.Hosting;

/// <summary>Registers every Portico concern. `portico check` uses it too, so both validate alike.</summary>
internal static class PorticoServices
{
    public static IServiceCollection AddPortico(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ActiveConfig>();
        services.AddSingleton<PorticoConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<PorticoConfigProvider>());
        services.AddSingleton<ConfigLoader>();
        services.AddSingleton<ConfigApplier>();
        services.AddSingleton<ConfigLog>();
        services.AddSingleton<IConfigChangeListener, YarpApplyListener>();

        services.AddReverseProxy().AddTransforms<PorticoTransformProvider>();
        // YARP registers data protection for session-affinity cookies, which Portico does not
        // issue; keep its keys in memory rather than writing a key ring to the home directory.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddSingleton<IForwarderHttpClientFactory, PorticoHttpClientFactory>();
        services.AddSingleton<ForwardingLog>();

        services.AddSingleton<ILoadBalancingPolicy, WeightedRoundRobinPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, ConsistentHashPolicy>();

        services.AddSingleton<HealthLog>();
        services.AddSingleton<IActiveHealthCheckPolicy, ThresholdActiveHealthPolicy>();
        services.AddSingleton<IPassiveHealthCheckPolicy, PassiveHealthPolicy>();

        services.AddSingleton<MatcherPolicy, PathRegexMatcherPolicy>();
        services.AddRequestTimeouts();
        return services;
    }
}
