using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Portico.Caching;
using Portico.Compression;
using Portico.Configuration.Model;

namespace Portico.Observability;

/// <summary>Metrics (OpenTelemetry, exported in the Prometheus format by the admin listener), access log, dashboard statistics, tracing.</summary>
internal static class ObservabilityServices
{
    public static IServiceCollection AddPorticoObservability(this IServiceCollection services, PorticoSettings atStart)
    {
        var tracing = atStart.Tracing;
        var shape = new MetricShape(atStart);
        services.AddSingleton<MetricsLog>();
        services.AddHostedService(sp => new MetricLimitWatch(sp.GetRequiredService<Configuration.ActiveConfig>(), shape, sp.GetRequiredService<MetricsLog>()));
        services.AddSingleton<PorticoMetrics>();
        services.AddSingleton<TrafficStats>();
        services.AddSingleton<DestinationStats>();
        services.AddSingleton<AccessLogWriter>();
        services.AddSingleton<RequestRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());

        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(tracing.ServiceName))
            .WithMetrics(m => m
                // The runtime's own meter: GC, allocation, thread pool and exception counts, so
                // an operator (and bench/alloc.sh) can see what the proxy costs in memory work.
                .AddMeter(PorticoMetrics.MeterName, "Portico.Configuration", Security.GuardMetrics.MeterName, Tls.TlsMetrics.MeterName)
                .AddMeter(CacheMetrics.MeterName, CompressionMetrics.MeterName, Cors.CorsMetrics.MeterName, MetricStreams.RuntimeMeter)
                .AddPrometheusExporter());
        services.ConfigureOpenTelemetryMeterProvider((sp, metrics) => metrics.AddView(MetricStreams.For(sp.GetRequiredService<IMeterFactory>(), shape)));
        if (tracing.OtlpEndpoint is { } endpoint)
        {
            // Spans for each proxied request and for its exchange with the backend; the
            // backend call carries traceparent as a child of the incoming span (W3C).
            otel.WithTracing(t => t
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(tracing.SampleRatio)))
                .AddAspNetCoreInstrumentation()
                .AddSource("System.Net.Http")
                .AddOtlpExporter(o =>
                {
                    o.Protocol = OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
                    o.Endpoint = new Uri(endpoint, "v1/traces");
                }));
        }

        return services;
    }

    public static IApplicationBuilder UsePorticoObservability(this IApplicationBuilder app) => app.UseMiddleware<ObservabilityMiddleware>();
}
