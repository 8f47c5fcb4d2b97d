using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Portico.Discovery;

/// <summary>The public face of DNS discovery: the watches that follow the config, their log and meter (no request stage: the destinations are YARP's).</summary>
internal static class DiscoveryServices
{
    public static IServiceCollection AddPorticoDiscovery(this IServiceCollection services)
    {
        services.AddSingleton<DnsDiscoveryLog>();
        services.AddSingleton<DnsDiscoveryMetrics>();
        services.AddHostedService<DnsDiscoveryService>();
        services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(DnsDiscoveryMetrics.MeterName));
        return services;
    }
}
