using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Pages;

/// <summary>The public face of error and maintenance pages: the switches, the maintenance stage and the backend-error stage.</summary>
internal static class PagesServices
{
    public static IServiceCollection AddPorticoPages(this IServiceCollection services)
        => services.AddSingleton<MaintenanceSwitches>().AddSingleton<PagesLog>();

    public static IApplicationBuilder UsePorticoMaintenance(this IApplicationBuilder app)
        => app.UseMiddleware<MaintenanceMiddleware>();

    public static IReverseProxyApplicationBuilder UsePorticoBackendErrorPages(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<BackendErrorPagesMiddleware>();
        return proxy;
    }
}
