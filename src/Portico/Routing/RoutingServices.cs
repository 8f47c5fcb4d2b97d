using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Portico.Routing;

/// <summary>
/// The public face of routing: the matchers YARP lacks (its stage is ASP.NET's UseRouting), the
/// device class stage and the split stage.
/// </summary>
internal static class RoutingServices
{
    public static IServiceCollection AddPorticoRouting(this IServiceCollection services)
    {
        services.AddSingleton<MatcherPolicy, PathRegexMatcherPolicy>();
        services.AddSingleton<MatcherPolicy, ClientMatcherPolicy>();
        // The slim host leaves out the regex route constraint; operators may use it in `path`.
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<RegexInlineRouteConstraint>("regex"));
        services.AddSingleton<ITransformProvider, DeviceTransformProvider>();
        services.AddSingleton<ITransformProvider, RewriteTransformProvider>();
        services.AddSingleton<SplitMetrics>();
        services.AddSingleton<RewriteMetrics>();
        services.AddSingleton<RewriteLog>();
        services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(SplitMetrics.MeterName, RewriteMetrics.MeterName));
        return services;
    }

    public static IApplicationBuilder UsePorticoRedirects(this IApplicationBuilder app)
        => app.UseMiddleware<RedirectMiddleware>();

    public static IApplicationBuilder UsePorticoDeviceClass(this IApplicationBuilder app)
        => app.UseMiddleware<DeviceMiddleware>();

    public static IReverseProxyApplicationBuilder UsePorticoSplit(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<SplitMiddleware>();
        return proxy;
    }

    public static IReverseProxyApplicationBuilder UsePorticoRewrite(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<RewriteMiddleware>();
        return proxy;
    }
}
