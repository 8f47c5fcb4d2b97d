using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Cors;

/// <summary>The public face of CORS: services and the pipeline stage.</summary>
internal static class CorsServices
{
    public static IServiceCollection AddPorticoCors(this IServiceCollection services)
        => services.AddSingleton<CorsMetrics>();

    public static IApplicationBuilder UsePorticoCors(this IApplicationBuilder app)
        => app.UseMiddleware<CorsMiddleware>();
}
