using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.Observability;

namespace Portico.IntegrationTests.Observability;

/// <summary>
/// The series limit each instrument gets from the config at start (MetricLimits): every route's
/// series stays listed for a config of many routes, and a reload past the limit is said.
/// </summary>
public sealed class MetricLimitTests
{
    // Past MetricLimits.Floor (OpenTelemetry's default): a limit blind to the config folds the series of the last routes.
    private const int ManyRoutes = 2100;

    // Past OpenTelemetry's default of 2000 series, which every instrument of Portico's had before
    // (portico.requests: 2,100 × 5 status classes, 10,500 series, past the floor too).
    private const int MoreRoutesThanTheDefault = 2100;

    [Fact]
    public async Task Every_route_of_a_config_with_many_routes_keeps_its_own_series()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, MoreRoutesThanTheDefault));

        await RequestEachAsync(proxy, MoreRoutesThanTheDefault, ct);

        var metrics = await MetricsAsync(proxy, ct);
        var every = Enumerable.Range(0, MoreRoutesThanTheDefault).Select(i => $"r{i}").Order(StringComparer.Ordinal);
        Assert.Equal(every, RoutesOf(metrics, "portico_requests_total"));
        Assert.Equal(every, RoutesOf(metrics, "portico_request_duration_seconds_count"));

        Assert.DoesNotContain("otel_metric_overflow", metrics.Text, StringComparison.Ordinal);
        Assert.Empty(proxy.Logs.Messages(6101));
    }

    [Fact]
    public async Task A_reload_past_the_limit_set_at_start_is_logged_and_its_extra_series_are_counted_as_overflow()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, 1));
        var limit = MetricLimits.Floor;

        var outcome = await proxy.RewriteConfigAsync(Config(backend.Url, ManyRoutes));
        Assert.True(outcome.Applied);
        await RequestEachAsync(proxy, ManyRoutes, ct);

        // request.duration holds a series per route: 2,100 routes and the empty one, past 2,000.
        Assert.Contains($"metrics: portico.request.duration may need {ManyRoutes + 1} series for the routes, clusters and destinations loaded since start, above the {limit} it was given at start; series past the limit are counted in its otel_metric_overflow series until a restart",
            proxy.Logs.Messages(6101));
        // portico.requests: 2,101 (route, cluster) pairs × 5 status classes, against the same floor.
        Assert.Contains(proxy.Logs.Messages(6101), m => m.StartsWith("metrics: portico.requests may need 10505 series", StringComparison.Ordinal));
        var metrics = await MetricsAsync(proxy, ct);
        var listed = Enumerable.Range(0, ManyRoutes).Count(i => metrics.Value("portico_request_duration_seconds_count", ("route", $"r{i}")) is not null);
        Assert.InRange(listed, limit - 2, limit);
        // Nothing is lost from the totals: the routes past the limit are counted in the overflow series.
        Assert.Equal(ManyRoutes - listed, metrics.Value("portico_request_duration_seconds_count", ("otel_metric_overflow", "true")));
    }

    [Fact]
    public async Task Every_instrument_Portico_creates_has_its_limit_from_its_labels()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, 1));
        var own = proxy.Services.GetRequiredService<IMeterFactory>();
        var owners = typeof(MetricLimits).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Metrics", StringComparison.Ordinal) && t.GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(IMeterFactory))))
            .ToList();
        Assert.All(owners, t => Assert.NotNull(proxy.Services.GetService(t)));
        var names = new HashSet<string>(StringComparer.Ordinal);
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                // The host's factory also makes ASP.NET Core's meters, which OpenTelemetry is not asked to collect.
                if (ReferenceEquals(instrument.Meter.Scope, own) && instrument.Meter.Name.StartsWith("Portico.", StringComparison.Ordinal))
                {
                    lock (names)
                    {
                        names.Add(instrument.Name);
                    }
                }
            };
            listener.Start();
        }

        // The event-loop transport's own are not made on Kestrel's socket transport.
        string[] loopOnly = ["portico.lingering.connections", "portico.lingering.closes"];
        var sockets = string.Equals(Environment.GetEnvironmentVariable("PORTICO_TRANSPORT"), "sockets", StringComparison.OrdinalIgnoreCase);
        var classified = MetricLimits.ByConfig.Keys.Concat(MetricLimits.ClosedSets)
            .Concat(["portico.fastpath.handovers", "portico.local.responses"])
            .Where(n => !sockets || !loopOnly.Contains(n));
        Assert.Equal(classified.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    private static string Config(string backend, int routes)
    {
        var yaml = new StringBuilder("routes:\n");
        for (var i = 0; i < routes; i++)
        {
            yaml.Append($"  r{i}: {{ match: {{ pathPrefix: /r{i}/ }}, cluster: app }}\n");
        }

        return yaml.Append($"clusters:\n  app: {{ destinations: [{backend}] }}\n").ToString();
    }

    private static async Task RequestEachAsync(TestProxy proxy, int routes, CancellationToken ct)
    {
        for (var i = 0; i < routes; i++)
        {
            (await proxy.Client.GetAsync($"/r{i}/", ct)).EnsureSuccessStatusCode();
        }
    }

    /// <summary>The route label of every series named <paramref name="name"/> whose value is 1, in order.</summary>
    private static IEnumerable<string> RoutesOf(PrometheusText metrics, string name) => metrics.Text.Split('\n')
        .Select(l => System.Text.RegularExpressions.Regex.Match(l, "^" + name + "\\{[^}]*route=\"(?<route>[^\"]*)\"[^}]*\\} (?<value>\\S+)"))
        .Where(m => m.Success && m.Groups["value"].Value == "1")
        .Select(m => m.Groups["route"].Value)
        .Order(StringComparer.Ordinal);

    private static async Task<PrometheusText> MetricsAsync(TestProxy proxy, CancellationToken ct)
    {
        using var admin = new HttpClient();
        return new PrometheusText(await admin.GetStringAsync(new Uri(proxy.AdminAddress!, "/metrics"), ct));
    }
}
