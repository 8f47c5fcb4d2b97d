using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Portico.BodyRewrite;

/// <summary>
/// The public face of body rewriting. It has no middleware of its own: it is a pair of YARP
/// transforms inside the forwarder (stage 7), which puts it between the backend and
/// compression (stage 6) and the cache (stage 5), as PorticoPipeline's list says.
/// </summary>
internal static class BodyRewriteServices
{
    public static IServiceCollection AddPorticoBodyRewrite(this IServiceCollection services)
    {
        services.AddSingleton<BodyRewriteMetrics>();
        services.AddSingleton<BodyRewriteLog>();
        services.AddSingleton<ITransformProvider, BodyRewriteTransformProvider>();
        services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(BodyRewriteMetrics.MeterName));
        return services;
    }
}
