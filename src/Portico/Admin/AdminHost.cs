using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Portico.Configuration.Model;

namespace Portico.Admin;

/// <summary>
/// The admin listener: a server of its own, apart from the proxy's listeners, so proxied routes
/// can never reach the admin API and admin paths can never shadow a route.
/// </summary>
internal static class AdminHost
{
    public static WebApplication Build(IServiceProvider proxy, AdminSettings settings, Action<ILoggingBuilder> logging)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        logging(builder.Logging);

        // The admin server logs through the proxy's providers, under its own filters. Each console
        // provider writes from a queue of its own, so two would interleave their lines out of order:
        // the admin's "Now listening on" could come before the proxy's, which it follows.
        builder.Logging.ClearProviders();
        foreach (var provider in proxy.GetServices<ILoggerProvider>())
        {
            builder.Logging.AddProvider(provider);
        }

        builder.Services.AddSingleton<IHostLifetime, FollowerLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(settings.EndPoint);
        });
        var app = builder.Build();
        app.UseMiddleware<AdminTokenMiddleware>(settings.Token ?? "");
        app.MapPrometheusScrapingEndpoint("/metrics", proxy.GetRequiredService<MeterProvider>(), configureBranchedPipeline: null, optionsName: null);
        AdminApi.Map(app, proxy);
        Probes.Map(app, proxy.GetRequiredService<Readiness>());
        Dashboard.Map(app);
        return app;
    }
}
