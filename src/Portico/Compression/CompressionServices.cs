using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Compression;

/// <summary>The public face of compression: services and the pipeline stage.</summary>
internal static class CompressionServices
{
    public static IServiceCollection AddPorticoCompression(this IServiceCollection services)
        => services.AddSingleton<CompressionMetrics>();

    public static IApplicationBuilder UsePorticoCompression(this IApplicationBuilder app)
        => app.UseMiddleware<CompressionMiddleware>();
}
