using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Portico.Configuration;

namespace Portico.Auth;

/// <summary>Authentication's public face: its services, and its stage for the pipeline.</summary>
internal static class AuthServices
{
    public static IServiceCollection AddPorticoAuth(this IServiceCollection services)
    {
        services.AddSingleton<AuthLog>();
        services.AddSingleton<AuthMetrics>();
        services.AddSingleton<AuthLockout>();
        services.AddSingleton<SessionKeyRings>();
        services.AddSingleton<IConfigRuntimeBuilder, AuthRuntimeBuilder>();
        services.AddHostedService<AuthFileWatcher>();
        services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(AuthMetrics.MeterName));
        return services;
    }

    /// <summary>Call after routing and the guard, before the cache: it needs the route, and a cache hit must not skip it.</summary>
    public static IApplicationBuilder UsePorticoAuth(this IApplicationBuilder app) => app.UseMiddleware<AuthMiddleware>();
}
