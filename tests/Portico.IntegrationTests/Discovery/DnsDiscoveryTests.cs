using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Discovery;

/// <summary>
/// A cluster whose destinations are a DNS name's A and AAAA records, against a DNS server the
/// test runs on 127.0.0.1: two backends on one port, at 127.0.0.1 and ::1, come and go as the
/// records do. The first answer serves from the first request; an address that appears later
/// gets traffic only after its first passing active check; one that vanishes gets no new
/// requests while its requests in flight finish, and a bounded load across the change has no
/// failed request.
/// </summary>
public sealed class DnsDiscoveryTests
{
    private const string Name = "app.portico.test";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Records_that_appear_join_after_a_passing_check_and_records_that_vanish_drain_without_a_failed_request(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RequestDelegate Handler(string name) => async ctx =>
        {
            if (ctx.Request.Path.StartsWithSegments("/slow"))
            {
                await release.Task.WaitAsync(ctx.RequestAborted);
            }

            await ctx.Response.WriteAsync(name);
        };
        var port = FreePorts.Take();
        await using var v4 = await TestBackend.StartAsync("v4", Handler("v4"), port: port);
        await using var v6 = await TestBackend.StartAsync("v6", Handler("v6"), port: port, address: IPAddress.IPv6Loopback);
        await using var dns = new TestDnsServer();
        dns.Set(Name, 1, IPAddress.Loopback);
        dns.Delay = TimeSpan.FromSeconds(1);
        await using var proxy = await TestProxy.StartAsync(Discovered(dns, port, ""), fastPath);
        var (ipv4, ipv6) = ($"127.0.0.1:{port}", $"[::1]:{port}");

        // The listeners opened after the first answer, slow as it was: the first request already has a destination.
        Assert.Equal("v4", await proxy.Client.GetStringAsync("/first", ct));
        dns.Delay = TimeSpan.Zero;

        dns.Set(Name, 1, IPAddress.Loopback, IPAddress.IPv6Loopback);
        await Poll.UntilAsync(() => proxy.State.TryGetCluster("app", out var c) && c.Destinations.ContainsKey(ipv6), "the AAAA record to become a destination");
        // A probe a second (the first may come up to a second after the record): 30 s, as a fresh-clone
        // CI run under the whole suite's load once saw 15 s pass without it.
        await Poll.UntilAsync(async () => await proxy.Client.GetStringAsync("/spread", ct) == "v6", "the new destination to take traffic", seconds: 30);
        var firstAtV6 = v6.Requests.First().PathAndQuery;
        Assert.Equal("/health", firstAtV6);
        Assert.Contains($"cluster app: {Name} resolves to 2 address(es); added [{ipv6}], removed []", proxy.Logs.Messages(8101));

        // Shown as destinations of their own, in the admin API and the metrics.
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        using (var clusters = JsonDocument.Parse(await admin.GetStringAsync("/api/clusters", ct)))
        {
            var names = clusters.RootElement.GetProperty("app").GetProperty("destinations").EnumerateArray()
                .Select(d => d.GetProperty("name").GetString()).Order(StringComparer.Ordinal);
            Assert.Equal([ipv4, ipv6], names);
        }

        Assert.Contains("portico_dns_destinations{otel_scope_name=\"Portico.Discovery\",cluster=\"app\"} 2\n", await admin.GetStringAsync("/metrics", ct), StringComparison.Ordinal);

        // Requests in flight on both, then the A record goes while a load runs.
        var slow = Enumerable.Range(0, 4).Select(i => proxy.Client.GetAsync($"/slow/{i}", ct)).ToArray();
        await Poll.UntilAsync(() => v4.Requests.Any(r => r.PathAndQuery.StartsWith("/slow/", StringComparison.Ordinal)), "a slow request at the 127.0.0.1 backend");
        var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // The test stops the load itself once the change is seen; the count is only an outer bound,
        // set high because the fast path finished 5,000 requests before the record went.
        var load = Load.RunAsync(1_000_000, 2, TimeSpan.FromSeconds(60), async i =>
        {
            if (stop.IsCancellationRequested)
            {
                return true;
            }

            using var response = await proxy.Client.GetAsync($"/load/{i}", ct);
            return response.StatusCode == HttpStatusCode.OK;
        });
        await Poll.UntilAsync(() => v4.Requests.Any(r => r.PathAndQuery.StartsWith("/load/", StringComparison.Ordinal)), "the load to reach the 127.0.0.1 backend");

        dns.Set(Name, 1, IPAddress.IPv6Loopback);
        await Poll.UntilAsync(() => proxy.State.TryGetCluster("app", out var c) && !c.Destinations.ContainsKey(ipv4), "the vanished A record's destination to go");
        var after = v6.Requests.Count(r => r.PathAndQuery.StartsWith("/load/", StringComparison.Ordinal));
        await Poll.UntilAsync(() => v6.Requests.Count(r => r.PathAndQuery.StartsWith("/load/", StringComparison.Ordinal)) >= after + 50, "50 more load requests after the change");
        await stop.CancelAsync();
        var result = await load;
        Assert.True(result.Failed == 0, $"{result.Failed} of {result.Total} failed: {string.Join("; ", result.SampleFailures)}");

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("v6", await proxy.Client.GetStringAsync($"/after/{i}", ct));
        }

        release.SetResult();
        foreach (var request in slow)
        {
            using var response = await request;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Contains($"cluster app: {Name} resolves to 1 address(es); added [], removed [{ipv4}]", proxy.Logs.Messages(8101));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_record_that_appears_is_joining_not_down_until_its_slow_first_check_passes(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        var firstCheck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var port = FreePorts.Take();
        await using var v4 = await TestBackend.StartAsync("v4", ctx => ctx.Response.WriteAsync("v4"), port: port);
        await using var v6 = await TestBackend.StartAsync("v6", async ctx =>
        {
            if (ctx.Request.Path == "/health")
            {
                // The first probe is answered only when the test has looked at the joining state.
                await firstCheck.Task.WaitAsync(ctx.RequestAborted);
            }

            await ctx.Response.WriteAsync("v6");
        }, port: port, address: IPAddress.IPv6Loopback);
        await using var dns = new TestDnsServer();
        dns.Set(Name, 1, IPAddress.Loopback);
        await using var proxy = await TestProxy.StartAsync(Discovered(dns, port, ", timeout: 60s"), fastPath);
        var (ipv4, ipv6) = ($"127.0.0.1:{port}", $"[::1]:{port}");
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        Assert.Equal("v4", await proxy.Client.GetStringAsync("/first", ct));

        dns.Set(Name, 1, IPAddress.Loopback, IPAddress.IPv6Loopback);
        await Poll.UntilAsync(() => v6.Requests.Any(r => r.PathAndQuery == "/health"), "the new destination's first probe");

        // Probed, not yet judged: joining, with no downtime, and no traffic.
        var (state, activeHealth, downtime) = await DestinationAsync(admin, ipv6, ct);
        Assert.Equal(("joining", "unknown", 0.0), (state, activeHealth, downtime));
        Assert.Equal("up", (await DestinationAsync(admin, ipv4, ct)).State);
        var metrics = new PrometheusText(await admin.GetStringAsync("/metrics", ct));
        Assert.Equal(1, metrics.Value("portico_destination_joining", ("cluster", "app"), ("destination", ipv6)));
        Assert.Equal(0, metrics.Value("portico_destination_healthy", ("cluster", "app"), ("destination", ipv6)));
        Assert.Equal(0, metrics.Value("portico_destination_joining", ("cluster", "app"), ("destination", ipv4)));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("v4", await proxy.Client.GetStringAsync($"/while-joining/{i}", ct));
        }

        Assert.All(v6.Requests, r => Assert.Equal("/health", r.PathAndQuery));

        // The first probe passes: it joins.
        firstCheck.SetResult();
        await Poll.UntilAsync(async () => (await DestinationAsync(admin, ipv6, ct)).State == "up", "the destination to be up after its first passing probe");
        await Poll.UntilAsync(async () => await proxy.Client.GetStringAsync("/spread", ct) == "v6", "the joined destination to take traffic");

        // The exporter may answer a scrape from its last one for a moment: polled, not read once.
        await Poll.UntilAsync(async () =>
        {
            var now = new PrometheusText(await admin.GetStringAsync("/metrics", ct));
            return now.Value("portico_destination_joining", ("cluster", "app"), ("destination", ipv6)) == 0
                && now.Value("portico_destination_healthy", ("cluster", "app"), ("destination", ipv6)) == 1;
        }, "the metrics to say joined");
    }

    /// <summary>A cluster of <see cref="Name"/>'s records on <paramref name="port"/>, asked of <paramref name="dns"/> often, probed each second at /health.</summary>
    private static string Discovered(TestDnsServer dns, int port, string probe) => $$"""
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app:
            destinations: []
            discovery: { dns: {{Name}}, port: {{port}}, resolver: "{{dns.Address}}", minRefresh: 100ms, maxRefresh: 1s }
            healthCheck:
              active: { path: /health, interval: 1s{{probe}} }
        """;

    private static async Task<(string? State, string? ActiveHealth, double Downtime)> DestinationAsync(HttpClient admin, string name, CancellationToken ct)
    {
        using var clusters = JsonDocument.Parse(await admin.GetStringAsync("/api/clusters", ct));
        var d = clusters.RootElement.GetProperty("app").GetProperty("destinations").EnumerateArray().Single(d => d.GetProperty("name").GetString() == name);
        return (d.GetProperty("state").GetString(), d.GetProperty("activeHealth").GetString(), d.GetProperty("downtimeSeconds").GetDouble());
    }

    [Fact]
    public async Task A_resolver_that_stops_answering_and_a_reload_keep_the_destinations_found()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b");
        await using var dns = new TestDnsServer();
        dns.Set(Name, 1, IPAddress.Loopback);
        string Config(string prefix) => $$"""
            routes:
              all: { match: { pathPrefix: {{prefix}} }, cluster: app }
            clusters:
              app:
                destinations: []
                discovery: { dns: {{Name}}, port: {{backend.Port}}, resolver: "{{dns.Address}}", minRefresh: 100ms, maxRefresh: 1s }
            """;
        await using var proxy = await TestProxy.StartAsync(Config("/"));
        Assert.Equal("b", await proxy.Client.GetStringAsync("/", ct));

        dns.Silent = true;
        await Poll.UntilAsync(() => proxy.Logs.Messages(8102).Any(), "a failed lookup to be logged", seconds: 30);
        Assert.Equal("b", await proxy.Client.GetStringAsync("/", ct));

        // The reload keeps the cluster's discovery as it was: its watch and what it found stay
        // (a new watch would have nothing while the server is silent).
        var outcome = await proxy.RewriteConfigAsync(Config("/app"));
        Assert.True(outcome.Applied, string.Join("\n", outcome.Errors));
        Assert.Equal("b", await proxy.Client.GetStringAsync("/app", ct));

        dns.Silent = false;
        await Poll.UntilAsync(() => proxy.Logs.Messages(8103).Any(), "the lookup to work again", seconds: 30);
        var failed = Assert.Single(proxy.Logs.Messages(8102));
        Assert.StartsWith($"cluster app: looking up {Name} failed, keeping the 1 destination(s) found before; next try in 100ms: ", failed, StringComparison.Ordinal);
        Assert.Contains("timed out", failed, StringComparison.Ordinal);
    }
}
