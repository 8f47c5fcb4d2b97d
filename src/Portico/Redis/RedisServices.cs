using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace Portico.Redis;

/// <summary>
/// The public face of the shared Redis connection: <see cref="RedisConnection"/> for the concerns
/// that keep state across instances (rate limits, session keys). It has no request stage.
/// </summary>
internal static class RedisServices
{
    public static IServiceCollection AddPorticoRedis(this IServiceCollection services)
    {
        services.AddSingleton<RedisLog>();
        services.AddSingleton<RedisMetrics>();
        services.AddSingleton<RedisConnection>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisConnection>());
        services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(RedisMetrics.MeterName));
        return services;
    }
}
