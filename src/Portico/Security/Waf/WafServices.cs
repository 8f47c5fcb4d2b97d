using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Portico.Configuration;

namespace Portico.Security.Waf;

/// <summary>The WAF's public face: its services, and its stage for the pipeline.</summary>
internal static class WafServices
{
    public static IServiceCollection AddPorticoWaf(this IServiceCollection services)
    {
        services.AddSingleton<WafLog>();
        services.AddSingleton<IConfigRuntimeBuilder, WafRuntimeBuilder>();
        services.AddSingleton<WafMetrics>();
        services.AddSingleton<WafAuditLog>();
        services.AddHostedService(sp => sp.GetRequiredService<WafAuditLog>());
        services.ConfigureOpenTelemetryMeterProvider(m => m.AddMeter(WafMetrics.MeterName));
        return services;
    }

    /// <summary>Call right after routing: the stage needs the matched route.</summary>
    public static IApplicationBuilder UsePorticoWaf(this IApplicationBuilder app) => app.UseMiddleware<WafMiddleware>();
}
