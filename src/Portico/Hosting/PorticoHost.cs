using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Portico.Admin;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Discovery;
using Portico.FastPath;
using Portico.Forwarding;
using Portico.Observability;
using Portico.Pipeline;
using Portico.Tls;
using Portico.Transport;

namespace Portico.Hosting;

/// <summary>Builds the proxy server for a valid config: Kestrel listeners, services, the pipeline.</summary>
internal static class PorticoHost
{
    /// <param name="fastPath">Whether the fast path runs; null lets PORTICO_FASTPATH decide.</param>
    public static WebApplication Build(LoadedConfig initial, string? configPath, Action<ILoggingBuilder>? logging = null, bool? fastPath = null)
    {
        PorticoMetrics? metrics = null;

        // Connection middleware: names the listener for the request stages and counts open client
        // connections for portico_active_connections.
        // The feature is immutable: one per listener, shared by its connections.
        Func<ConnectionDelegate, ConnectionDelegate> Accept(ListenerSettings listener)
        {
            var named = new ListenerFeature(listener.Name);
            return next => async connection =>
            {
                connection.Features.Set(named);
                var open = metrics?.ConnectionOpened(listener.Name);
                try
                {
                    await next(connection);
                }
                finally
                {
                    if (open is not null)
                    {
                        metrics!.ConnectionClosed(open);
                    }
                }
            };
        }

        var settings = initial.Settings ?? throw new ArgumentException("the config must be valid", nameof(initial));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });

        ConfigureLogging(builder.Logging, logging);
        if (InlineIo.Enabled)
        {
            builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        }

        if (LoopTransport.Supported)
        {
            // Registered after Kestrel's socket transport, so Kestrel tries it first for TCP.
            builder.Services.AddSingleton<IConnectionListenerFactory, LoopTransport>();
            builder.Services.AddSingleton<LoopDispatches>();
        }

        // The connection-level stages (Pipeline/PorticoConnections); server-wide limits are read at start-up.
        var connections = new PorticoConnections(settings.Limits);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Field values pass through as the bytes they are (RFC 9110 §5.5: obs-text is opaque
            // data), as nginx forwards them: Latin-1 maps each byte to one char and back, here and
            // in the backend client (HeaderBytes). Kestrel's default decodes UTF-8 and refuses
            // other bytes, and the backend client refuses anything but ASCII.
            kestrel.RequestHeaderEncodingSelector = HeaderBytes.Kestrel;
            kestrel.ResponseHeaderEncodingSelector = HeaderBytes.Kestrel;
            // Bodies stream through to the backend; no server-wide cap that would cut uploads
            // (`limits.maxBodySize` is enforced per route while the body streams).
            kestrel.Limits.MaxRequestBodySize = null;
            PorticoConnections.ApplyServerLimits(kestrel.Limits, settings.Limits);
            foreach (var listener in settings.Listeners)
            {
                kestrel.Listen(listener.EndPoint, o =>
                {
                    // Outermost: the transport starts the listener's connections with the pipeline built here, on its loops.
                    kestrel.ApplicationServices.GetService<LoopDispatches>()?.Use(o, tls: listener.Tls is not null);
                    o.Use(Accept(listener));
                    connections.Use(o, listener, kestrel.ApplicationServices.GetRequiredService<TlsListeners>());
                });
            }
        });

        // The shutdown delay comes first (listeners still accept), then the grace period.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.Proxy.ShutdownDelay + settings.Proxy.ShutdownGracePeriod);
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton<LifecycleLog>();
        builder.Services.AddHostedService(sp => new Lifecycle(
            sp.GetRequiredService<Readiness>(), sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ActiveConfig>(),
            sp.GetRequiredService<LifecycleLog>(), sp.GetRequiredService<TimeProvider>(), settings.Proxy.ShutdownDelay));
        builder.Services.AddPortico();
        builder.Services.AddPorticoObservability(settings);
        builder.Services.AddSingleton(new ConfigFileOptions(configPath, initial.ContentHash));
        builder.Services.AddHostedService<ConfigFileWatcher>();
        builder.Services.AddSingleton<MemoryRelease>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MemoryRelease>());
        builder.Services.AddPorticoDiscovery();
        builder.Services.AddPorticoAcme();

        var app = builder.Build();
        metrics = app.Services.GetRequiredService<PorticoMetrics>();
        connections.Start(app.Services, fastPath ?? !FastPathHandler.DisabledByEnvironment);
        // The meter listener must exist before the first config is applied, or that load goes uncounted.
        app.Services.GetRequiredService<MeterProvider>();
        app.Services.GetRequiredService<ConfigApplier>().Apply(initial);
        PorticoPipeline.Use(app, connections);
        ShutdownReport.Watch(app.Services);
        return app;
    }

    /// <summary>One line per event on stdout, with Portico's own events at Information and the framework's at Warning.</summary>
    public static void ConfigureLogging(ILoggingBuilder logging, Action<ILoggingBuilder>? customize)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        logging.SetMinimumLevel(LogLevel.Information);

        // No log line shows a scope (the console format leaves them out, and Portico opens none),
        // yet Kestrel opens one per connection, which stays with the connection for its whole
        // life (about 150 bytes each with its execution context, issue 25). Not capturing scopes
        // makes BeginScope a no-op.
        logging.Services.Configure<LoggerFilterOptions>(o => o.CaptureScopes = false);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

        // While this category is enabled at any level, ASP.NET starts an Activity and a log
        // scope for every request. It only writes request start/finish lines, which we never
        // show; our access log covers them. With tracing on, spans still come from the
        // ActivitySource listener.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        logging.AddFilter("Yarp", LogLevel.Warning);

        // HealthLog reports a destination's change of state once, with the probe's cause; YARP
        // would log each failed probe, every interval and per destination, with a stack trace.
        logging.AddFilter("Yarp.ReverseProxy.Health", LogLevel.Error);

        // ForwardingLog reports each failed forward in one line; YARP would repeat it with a stack trace.
        logging.AddFilter("Yarp.ReverseProxy.Forwarder", LogLevel.Error);
        customize?.Invoke(logging);
    }
}
