using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.RateLimiting;

/// <summary>The public face of rate limiting. The store is the one seam a shared (Redis) store replaces.</summary>
internal static class RateLimitingServices
{
    public static IServiceCollection AddPorticoRateLimiting(this IServiceCollection services)
    {
        services.AddSingleton<IRateLimitStore, MemoryRateLimitStore>();
        return services;
    }

    public static IApplicationBuilder UsePorticoRateLimiting(this IApplicationBuilder app) => app.UseMiddleware<RateLimitMiddleware>();
}
