using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Health;

namespace Portico.Health;

/// <summary>The public face of health: our active and passive policies, drains, and which destinations take traffic (its stage is YARP's UsePassiveHealthChecks).</summary>
internal static class HealthServices
{
    public static IServiceCollection AddPorticoHealth(this IServiceCollection services)
    {
        services.AddSingleton<HealthLog>();
        services.AddSingleton<IActiveHealthCheckPolicy, ThresholdActiveHealthPolicy>();
        services.AddSingleton<IPassiveHealthCheckPolicy, PassiveHealthPolicy>();
        services.AddSingleton<DrainRegistry>();
        services.AddSingleton<IAvailableDestinationsPolicy, AvailableDestinationsPolicy>();
        return services;
    }
}
