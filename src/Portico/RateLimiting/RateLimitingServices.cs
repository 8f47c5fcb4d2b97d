using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Portico.RateLimiting;

/// <summary>The public face of rate limiting: the store (shared through Redis when a `redis` section exists, else in-process) and the stage.</summary>
internal static class RateLimitingServices
{
    public static IServiceCollection AddPorticoRateLimiting(this IServiceCollection services)
    {
        services.AddSingleton<MemoryRateLimitStore>();
        services.AddSingleton<IRateLimitStore, SharedRateLimitStore>();
        services.AddSingleton<RateLimitLog>();
        services.AddSingleton<RateLimitMetrics>();
        services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(RateLimitMetrics.MeterName));
        return services;
    }

    public static IApplicationBuilder UsePorticoRateLimiting(this IApplicationBuilder app) => app.UseMiddleware<RateLimitMiddleware>();
}
