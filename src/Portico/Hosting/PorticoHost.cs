using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Pipeline;

namespace Portico.Hosting;

/// <summary>Builds the proxy server for a valid config: Kestrel listeners, services, the pipeline.</summary>
internal static class PorticoHost
{
    public static WebApplication Build(LoadedConfig initial, string? configPath, Action<ILoggingBuilder>? logging = null)
    {
        var settings = initial.Settings ?? throw new ArgumentException("the config must be valid", nameof(initial));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        // ForwardingLog reports each failed forward in one line; YARP would repeat it with a stack trace.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Forwarder", LogLevel.Error);
        logging?.Invoke(builder.Logging);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Bodies stream through to the backend; no server-wide cap that would cut uploads.
            kestrel.Limits.MaxRequestBodySize = null;
            foreach (var listener in settings.Listeners)
            {
                kestrel.Listen(listener.EndPoint, o => o.Protocols = listener.Protocols == ListenerProtocols.H2c ? HttpProtocols.Http2 : HttpProtocols.Http1);
            }
        });

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.Proxy.ShutdownGracePeriod);
        builder.Services.AddPortico();
        builder.Services.AddSingleton(new ConfigFileOptions(configPath, initial.ContentHash));
        builder.Services.AddHostedService<ConfigFileWatcher>();

        var app = builder.Build();
        app.Services.GetRequiredService<ConfigApplier>().Apply(initial);
        PorticoPipeline.Use(app);
        return app;
    }
}
