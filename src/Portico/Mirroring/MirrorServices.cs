using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Portico.Mirroring;

/// <summary>The public face of traffic mirroring: copies of a route's requests to a shadow cluster (its stage runs in the proxy pipeline).</summary>
internal static class MirrorServices
{
    public static IServiceCollection AddPorticoMirroring(this IServiceCollection services)
    {
        services.AddSingleton(new MirrorSampler(Random.Shared));
        services.AddSingleton<MirrorDispatcher>();
        services.AddSingleton<MirrorMetrics>();
        services.AddSingleton<MirrorLog>();
        services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(MirrorMetrics.MeterName));
        return services;
    }

    public static IReverseProxyApplicationBuilder UsePorticoMirroring(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<MirrorMiddleware>();
        return proxy;
    }
}
