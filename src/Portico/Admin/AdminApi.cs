using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Cli;
using Portico.Caching;
using Portico.Configuration;
using Portico.Health;
using Portico.Observability;
using Portico.Pages;
using Portico.Redis;
using Portico.Tls;
using Portico.Tls.Acme;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Portico.Admin;

/// <summary>
/// The admin JSON API. Reads: status, the running config (redacted), routes, clusters with each
/// destination's health and in-flight count, the certificates HTTPS listeners serve, the cache panel, traffic statistics (the last five
/// minutes by second, the last hour by minute; also as a once-a-second event stream). Actions: drain or re-enable a destination, switch a route's maintenance, reload the config file.
/// </summary>
internal static class AdminApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(WebApplication app, IServiceProvider proxy)
    {
        var active = proxy.GetRequiredService<ActiveConfig>();
        var applier = proxy.GetRequiredService<ConfigApplier>();
        var state = proxy.GetRequiredService<IProxyStateLookup>();
        var drains = proxy.GetRequiredService<DrainRegistry>();
        var updater = proxy.GetRequiredService<IClusterDestinationsUpdater>();
        var stats = proxy.GetRequiredService<TrafficStats>();
        var file = proxy.GetRequiredService<ConfigFileOptions>();
        var loader = proxy.GetRequiredService<ConfigLoader>();
        var accessLog = proxy.GetRequiredService<AccessLogWriter>();
        var tls = proxy.GetRequiredService<TlsListeners>();
        var switches = proxy.GetRequiredService<MaintenanceSwitches>();
        var pagesLog = proxy.GetRequiredService<PagesLog>();
        var metrics = proxy.GetRequiredService<PorticoMetrics>();
        var clock = proxy.GetRequiredService<TimeProvider>();
        var view = new DestinationView(
            active,
            drains,
            proxy.GetRequiredService<DestinationStats>(),
            proxy.GetServices<IActiveHealthCheckPolicy>().OfType<ThresholdActiveHealthPolicy>().FirstOrDefault(),
            clock);
        var redis = proxy.GetRequiredService<RedisConnection>();

        object Status() => new
        {
            version = VersionInfo.Version,
            source = active.Current.Source,
            revision = active.Current.Revision,
            servingRevision = applier.ServingRevision,
            lastReload = applier.LastOutcome,
            accessLogDropped = accessLog.Dropped,
            process = ProcessView.Now(metrics, clock),
            redis = RedisAdmin.View(redis),
        };

        app.MapGet("/api/status", () => Results.Json(Status(), Json));
        app.MapGet("/api/config", () => Results.Json(ConfigView.From(active.Current.Settings), Json));
        app.MapGet("/api/routes", () => Results.Json(active.Current.Settings.Routes.ToDictionary(r => r.Id, r => ConfigView.Route(r, active.Current.Settings, switches)), Json));
        app.MapGet("/api/clusters", () => Results.Json(Clusters(state, view), Json));
        app.MapGet("/api/certificates", () => Results.Json(CertificateView.From(tls, proxy.GetRequiredService<AcmeCertificates>(), clock), Json));
        var cacheStore = proxy.GetRequiredService<ICacheStore>();
        var cacheMetrics = proxy.GetRequiredService<CacheMetrics>();
        object Snapshot(int? seconds, int? minutes) => Stats(stats, state, view, Status(), Maintenance(active, switches), seconds ?? 120, minutes, CacheAdmin.Panel(cacheStore, cacheMetrics, stats, 10), metrics.OpenConnectionsByListener);

        app.MapGet("/api/stats", (int? seconds, int? minutes) => Results.Json(Snapshot(seconds, minutes), Json));

        IResult SetDrained(string cluster, string destination, bool drained)
        {
            if (!state.TryGetCluster(cluster, out var clusterState) || !clusterState.Destinations.TryGetValue(destination, out var destinationState))
            {
                return Results.NotFound(new { error = $"no destination '{destination}' in cluster '{cluster}'" });
            }

            if (drained)
            {
                drains.Drain(destinationState);
            }
            else
            {
                drains.Enable(destinationState);
            }

            updater.UpdateAvailableDestinations(clusterState);
            return Results.Json(Clusters(state, view)[cluster], Json);
        }

        app.MapPost("/api/clusters/{cluster}/destinations/{destination}/drain", (string cluster, string destination) => SetDrained(cluster, destination, true));
        app.MapPost("/api/clusters/{cluster}/destinations/{destination}/enable", (string cluster, string destination) => SetDrained(cluster, destination, false));

        // A route's maintenance, switched at runtime: `enabled=true|false` holds across reloads until
        // switched again or cleared (DELETE, back to the config's `maintenance.enabled`).
        IResult SwitchMaintenance(string route, bool? enabled)
        {
            if (active.Current.Route(route) is not { } settings)
            {
                return Results.NotFound(new { error = $"no route '{route}'" });
            }

            if (settings.Maintenance is null)
            {
                return Results.Conflict(new { error = $"route '{route}' has no maintenance section; add routes.{route}.maintenance (its page, retryAfter, allowIps) to switch it" });
            }

            if (enabled is { } on)
            {
                switches.Switch(route, on);
            }
            else
            {
                switches.Clear(route);
            }

            pagesLog.MaintenanceSwitched(route, enabled switch { true => "on", false => "off", null => $"back to its config ({(settings.Maintenance.Enabled ? "on" : "off")})" });
            return Results.Json(PagesView.Maintenance(settings, switches), Json);
        }

        app.MapPost("/api/routes/{route}/maintenance", (string route, bool enabled) => SwitchMaintenance(route, enabled));
        app.MapDelete("/api/routes/{route}/maintenance", (string route) => SwitchMaintenance(route, null));

        app.MapPost("/api/reload", async () =>
        {
            if (file.Path is null)
            {
                return Results.Conflict(new { error = "the built-in demo has no config file to reload" });
            }

            var applied = applier.Apply(await loader.LoadFileAsync(file.Path));
            return Results.Json(applier.LastOutcome, Json, statusCode: applied ? 200 : 422);
        });

        CacheAdmin.Map(app, proxy);
        RedisAdmin.Map(app, proxy, Json);

        app.MapGet("/api/stats/stream", async (HttpContext context, int? seconds, int? minutes) =>
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-store";
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            do
            {
                var payload = JsonSerializer.Serialize(Snapshot(seconds, minutes), Json);
                await context.Response.WriteAsync($"data: {payload}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
            while (await timer.WaitForNextTickAsync(context.RequestAborted));
        });
    }

    private static Dictionary<string, object> Clusters(IProxyStateLookup state, DestinationView view)
        => state.GetClusters().OrderBy(c => c.ClusterId, StringComparer.Ordinal).ToDictionary(c => c.ClusterId, c => (object)new
        {
            available = c.DestinationsState.AvailableDestinations.Count,
            destinations = c.Destinations.Values.OrderBy(d => d.DestinationId, StringComparer.Ordinal).Select(d => view.Of(c, d)).ToList(),
        });

    /// <summary>Each route with a `maintenance` section: whether it is in maintenance now (the dashboard's route list).</summary>
    private static Dictionary<string, bool> Maintenance(ActiveConfig active, MaintenanceSwitches switches)
        => active.Current.Settings.Routes.Where(r => r.Maintenance is not null).ToDictionary(r => r.Id, switches.IsOn);

    /// <summary>The dashboard's data; with <paramref name="minutes"/>, also that many minutes of history (one point a minute, at most an hour).</summary>
    private static object Stats(TrafficStats stats, IProxyStateLookup state, DestinationView view, object status, Dictionary<string, bool> maintenance, int seconds, int? minutes, object cache, IReadOnlyDictionary<string, long> listeners) => new
    {
        status,
        maintenance,
        series = stats.Series(Math.Clamp(seconds, 1, TrafficStats.Seconds)),
        history = minutes is { } m ? stats.History(Math.Clamp(m, 1, TrafficStats.Minutes)) : null,
        cache,
        listeners = listeners.ToDictionary(l => l.Key, l => new { openConnections = l.Value }),
        routes = stats.Routes,
        clusters = stats.Clusters,
        localReasons = stats.LocalReasons,
        destinations = Clusters(state, view),
    };
}
