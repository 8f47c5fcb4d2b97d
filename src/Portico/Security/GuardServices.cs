using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Security;

/// <summary>The public face of traffic filtering: services, and the two request stages of stage 2.</summary>
internal static class GuardServices
{
    public static IServiceCollection AddPorticoGuard(this IServiceCollection services)
    {
        services.AddSingleton<GuardLog>();
        services.AddSingleton<GuardMetrics>();
        return services;
    }

    /// <summary>Checks that need no route: HTTP/2 header rules, '_' names, served hosts, listener IP rules.</summary>
    public static IApplicationBuilder UsePorticoRequestGuard(this IApplicationBuilder app) => app.UseMiddleware<RequestGuardMiddleware>();

    /// <summary>Checks of the matched route: IP rules and request limits.</summary>
    public static IApplicationBuilder UsePorticoRouteGuard(this IApplicationBuilder app) => app.UseMiddleware<RouteGuardMiddleware>();
}
