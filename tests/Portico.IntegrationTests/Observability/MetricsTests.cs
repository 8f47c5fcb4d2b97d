using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Observability;

/// <summary>/metrics of the real portico process, and of proxies hosted side by side in one process.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Proxies_hosted_in_one_process_each_list_only_their_own_series()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b");
        string Config(string route) => $"""
            routes:
              {route}: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """;
        await using var first = await TestProxy.StartAsync(Config("first"));
        await using var second = await TestProxy.StartAsync(Config("second"));
        for (var i = 0; i < 2; i++)
        {
            (await first.Client.GetAsync("/", ct)).EnsureSuccessStatusCode();
        }

        (await second.Client.GetAsync("/", ct)).EnsureSuccessStatusCode();

        using var admin = new HttpClient();
        foreach (var (proxy, own, other, count) in new[] { (first, "first", "second", 2), (second, "second", "first", 1) })
        {
            var metrics = new PrometheusText(await admin.GetStringAsync(new Uri(proxy.AdminAddress!, "/metrics"), ct));
            Assert.Equal(count, metrics.Value("portico_requests_total", ("route", own), ("cluster", "app"), ("status_class", "2xx")));
            Assert.Null(metrics.Value("portico_requests_total", ("route", other), ("cluster", "app"), ("status_class", "2xx")));
            // Series every proxy has, without a label telling them apart: one each, this proxy's.
            Assert.Equal(1, metrics.Value("portico_config_revision"));
            Assert.Equal(0, metrics.Value("portico_active_requests"));
            // The runtime's meter belongs to the process and is listed by each.
            Assert.Contains("dotnet_gc_", metrics.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metrics_count_requests_bytes_retries_local_answers_health_and_reloads()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync("0123456789"));
        var dead = FreePorts.Take();
        var path = Path.Combine(Directory.CreateTempSubdirectory("portico-metrics-").FullName, "portico.yaml");
        string Config(string extra = "") => $"""
            listeners:
              main: {"{"} address: "127.0.0.1:0" {"}"}
            admin: {"{"} address: "127.0.0.1:0" {"}"}
            accessLog: {"{"} enabled: false {"}"}
            routes:
              api: {"{"} match: {"{"} pathPrefix: /api {"}"}, cluster: app {"}"}
              echo: {"{"} match: {"{"} pathPrefix: /echo {"}"}, cluster: live {"}"}
              down: {"{"} match: {"{"} pathPrefix: /down {"}"}, cluster: dead {"}"}
            clusters:
              app:
                retries: 1
                destinations: [http://127.0.0.1:{dead}, {backend.Url}]
              live: {"{"} destinations: [{backend.Url}] {"}"}
              dead: {"{"} destinations: [http://127.0.0.1:{dead}] {"}"}
            {extra}
            """;
        await File.WriteAllTextAsync(path, Config(), TestContext.Current.CancellationToken);
        await using var portico = PorticoProcess.Start("run", "-c", path);
        var bound = await portico.WaitForListeningAsync(2);
        var (port, adminPort) = (bound[0].Port, bound[1].Port);
        using var client = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("0123456789", await client.GetStringAsync($"http://127.0.0.1:{port}/api/{i}", ct));
        }

        await client.PostAsync($"http://127.0.0.1:{port}/echo", new StringContent("12345"), ct);
        await client.GetAsync($"http://127.0.0.1:{port}/down", ct);
        await client.GetAsync($"http://127.0.0.1:{port}/nothing-here", ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync($"http://127.0.0.1:{port}/metrics", ct)).StatusCode);
        // Written beside and renamed over, as TestProxy does: written in place, the watcher could read
        // the file truncated but not yet written (its 200 ms debounce is short on a loaded machine)
        // and count a second refusal.
        await File.WriteAllTextAsync(path + ".tmp", Config("bogus: 1"), ct);
        File.Move(path + ".tmp", path, overwrite: true);
        await Poll.UntilAsync(() => portico.Stdout.Contains("refused (1 error(s))", StringComparison.Ordinal), "the broken reload to be refused");

        var metrics = new PrometheusText(await client.GetStringAsync($"http://127.0.0.1:{adminPort}/metrics", ct));

        var api = ("route", "api");
        // Round robin over [dead, live] alternates, so two of the four GETs were retried.
        Assert.Equal(4, metrics.Value("portico_requests_total", api, ("cluster", "app"), ("status_class", "2xx")));
        Assert.Equal(2, metrics.Value("portico_retries_total", api));
        Assert.Equal(1, metrics.Value("portico_requests_total", ("route", "down"), ("cluster", "dead"), ("status_class", "5xx")));
        // /nothing-here and /metrics: the proxy listener never serves the admin's paths.
        Assert.Equal(2, metrics.Value("portico_requests_total", ("route", ""), ("status_class", "4xx")));
        Assert.Equal(2, metrics.Value("portico_local_responses_total", ("reason", "no_route")));
        Assert.Equal(1, metrics.Value("portico_local_responses_total", ("reason", "upstream_unreachable")));
        Assert.Equal(4, metrics.Value("portico_request_duration_seconds_count", api));
        Assert.Equal(5, metrics.Value("portico_request_body_bytes_total", ("route", "echo")));
        Assert.Equal(40, metrics.Value("portico_response_body_bytes_total", api));
        Assert.Equal(4, metrics.Value("portico_upstream_duration_seconds_count", ("cluster", "app")));
        Assert.Equal(1, metrics.Value("portico_destination_healthy", ("cluster", "app"), ("destination", backend.Address.Authority)));
        Assert.Equal(1, metrics.Value("portico_config_reloads_total", ("result", "applied")));
        Assert.Equal(1, metrics.Value("portico_config_reloads_total", ("result", "refused")));
        Assert.Equal(1, metrics.Value("portico_config_revision"));
        Assert.Equal(0, metrics.Value("portico_active_requests"));
        Assert.NotNull(metrics.Value("portico_active_connections"));
    }
}
