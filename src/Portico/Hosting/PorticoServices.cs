using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Portico.Caching;
using Portico.Compression;
using Portico.Configuration;
using Portico.Forwarding;
using Portico.Health;
using Portico.LoadBalancing;
using Portico.RateLimiting;
using Portico.Routing;
using Portico.Security.Waf;
using Portico.Security;
using Portico.Tls;
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
        services.AddSingleton<ConfigMetrics>();
        services.AddMetrics();
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
        services.AddSingleton<DrainRegistry>();
        services.AddSingleton<IAvailableDestinationsPolicy, AvailableDestinationsPolicy>();

        services.AddSingleton<MatcherPolicy, PathRegexMatcherPolicy>();

        services.AddPorticoTls();

        // The slim host leaves out the regex route constraint; operators may use it in `path`.
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<RegexInlineRouteConstraint>("regex"));
        services.AddRequestTimeouts();
        services.AddPorticoWaf();
        services.AddPorticoGuard();
        services.AddPorticoRateLimiting();
        services.AddPorticoCaching();
        services.AddPorticoCompression();
        return services;
    }
}
