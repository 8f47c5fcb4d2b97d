using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Portico.Auth;
using Portico.BodyRewrite;
using Portico.Caching;
using Portico.Compression;
using Portico.Configuration;
using Portico.Cors;
using Portico.Headers;
using Portico.Mirroring;
using Portico.Pages;
using Portico.Forwarding;
using Portico.Health;
using Portico.LoadBalancing;
using Portico.RateLimiting;
using Portico.Redis;
using Portico.Routing;
using Portico.Security.Waf;
using Portico.Security;
using Portico.Tls;
using Yarp.ReverseProxy.Configuration;

namespace Portico.Hosting;

/// <summary>Registers every Portico concern. `portico check` uses it too, so both validate alike.</summary>
internal static class PorticoServices
{
    public static IServiceCollection AddPortico(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<HostLog>();
        services.AddSingleton<ActiveConfig>();
        services.AddSingleton<DiscoveredDestinations>();
        services.AddSingleton<PorticoConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<PorticoConfigProvider>());
        services.AddSingleton<ConfigLoader>();
        services.AddSingleton<ConfigApplier>();
        services.AddSingleton<ConfigLog>();
        services.AddSingleton<ConfigMetrics>();
        services.AddMetrics();
        services.AddSingleton<IConfigChangeListener, YarpApplyListener>();

        services.AddPorticoForwarding();
        services.AddPorticoLoadBalancing();
        services.AddPorticoHealth();
        services.AddPorticoRouting();
        services.AddPorticoMirroring();
        services.AddPorticoTls();
        services.AddRequestTimeouts();
        services.AddPorticoWaf();
        services.AddPorticoGuard();
        services.AddPorticoRedis();
        services.AddPorticoRateLimiting();
        services.AddPorticoAuth();
        services.AddPorticoCaching();
        services.AddPorticoCompression();
        services.AddPorticoBodyRewrite();
        services.AddPorticoCors();
        services.AddPorticoHeaderRules();
        services.AddPorticoPages();
        return services;
    }
}
