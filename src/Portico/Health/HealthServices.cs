using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Health;

namespace Portico.Health;

/// <summary>The public face of health: our active and passive policies, drains, and which destinations take traffic (its stage is YARP's UsePassiveHealthChecks).</summary>
internal static class HealthServices
{
    public static IServiceCollection AddPorticoHealth(this IServiceCollection services)
    {
        services.AddSingleton<HealthLog>();
        // Decorates the probe factory YARP registered (AddPorticoForwarding runs first): probes are
        // still YARP's own requests, only timed (TimedProbingRequestFactory).
        var yarpProbes = services.Last(d => d.ServiceType == typeof(IProbingRequestFactory));
        services.Remove(yarpProbes);
        services.AddSingleton(sp => new TimedProbingRequestFactory((IProbingRequestFactory)(yarpProbes.ImplementationInstance
            ?? yarpProbes.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, yarpProbes.ImplementationType!))));
        services.AddSingleton<IProbingRequestFactory>(sp => sp.GetRequiredService<TimedProbingRequestFactory>());
        services.AddSingleton<IActiveHealthCheckPolicy, ThresholdActiveHealthPolicy>();
        services.AddSingleton<IPassiveHealthCheckPolicy, PassiveHealthPolicy>();
        services.AddSingleton<DrainRegistry>();
        services.AddSingleton<IAvailableDestinationsPolicy, AvailableDestinationsPolicy>();
        return services;
    }
}
