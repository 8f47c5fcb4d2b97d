using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Caching;

/// <summary>The public face of the cache: services (the store's tiers, collapsing, metrics) and the pipeline stage.</summary>
internal static class CacheServices
{
    public static IServiceCollection AddPorticoCaching(this IServiceCollection services)
    {
        services.AddSingleton<CacheMetrics>();
        services.AddSingleton<CacheLog>();
        services.AddSingleton<CacheFlights>();
        services.AddSingleton<DiskCacheLog>();
        services.AddSingleton<SharedCacheLog>();
        services.AddSingleton<SharedCacheTier>();
        services.AddSingleton<MemoryCacheStore>();
        services.AddSingleton<ICacheStore, TieredCacheStore>();
        services.AddSingleton<CachePurger>();
        services.AddHostedService(sp => sp.GetRequiredService<CachePurger>());
        services.AddSingleton<PartialCacheLog>();
        services.AddSingleton<PartialStore>();
        return services;
    }

    public static IApplicationBuilder UsePorticoCaching(this IApplicationBuilder app)
        => app.UseMiddleware<CacheMiddleware>();
}
