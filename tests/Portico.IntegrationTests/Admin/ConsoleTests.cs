using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Admin;

/// <summary>
/// The operator's console (issue 26) on a known traffic mix: a backend nothing listens on, in a
/// cluster without health checks, and a healthy one. The admin API's JSON and the dashboard in
/// Chromium both show the dead one failing from passive outcomes, and latency percentiles.
/// </summary>
public sealed class ConsoleTests
{
    private const string Token = "console-token-0123456789";
    private const int Requests = 20;
    private static readonly TimeSpan HealthDelay = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task A_backend_that_fails_every_request_without_health_checks_reads_failing_and_latency_percentiles_show()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var good = await TestBackend.StartAsync("good", ctx => ctx.Response.WriteAsync("ok"));
        var deadPort = FreePorts.Take();
        await using var proxy = await TestProxy.StartAsync($"""
            admin: {"{"} address: "127.0.0.1:0", token: {Token} {"}"}
            routes:
              shop: {"{"} match: {"{"} pathPrefix: /shop, methods: [GET] {"}"}, cluster: app {"}"}
              legacy: {"{"} match: {"{"} pathPrefix: /legacy {"}"}, cluster: gone {"}"}
            clusters:
              app: {"{"} destinations: [{good.Url}] {"}"}
              gone: {"{"} destinations: ["http://127.0.0.1:{deadPort}"] {"}"}
            """);
        for (var i = 0; i < Requests; i++)
        {
            using var ok = await proxy.Client.GetAsync("/shop/item", ct);
            Assert.Equal(200, (int)ok.StatusCode);
            using var failed = await proxy.Client.GetAsync("/legacy/page", ct);
            Assert.Equal(502, (int)failed.StatusCode);
        }

        using var admin = AdminClient(proxy);
        var stats = JsonDocument.Parse(await admin.GetStringAsync("/api/stats", ct)).RootElement;

        var dead = stats.GetProperty("destinations").GetProperty("gone").GetProperty("destinations")[0];
        Assert.Equal("failing", dead.GetProperty("state").GetString());
        Assert.Equal(Requests, dead.GetProperty("requests").GetInt64());
        Assert.Equal(Requests, dead.GetProperty("errors").GetProperty("connect").GetInt64());
        Assert.Equal(0, dead.GetProperty("errors").GetProperty("status5xx").GetInt64());
        Assert.Equal(Requests, dead.GetProperty("recent").GetProperty("failed").GetInt32());
        Assert.Equal(JsonValueKind.Null, dead.GetProperty("lastCheck").ValueKind);

        var alive = stats.GetProperty("destinations").GetProperty("app").GetProperty("destinations")[0];
        Assert.Equal("up", alive.GetProperty("state").GetString());
        Assert.Equal(Requests, alive.GetProperty("requests").GetInt64());
        Assert.Equal(1, alive.GetProperty("weight").GetInt32());
        Assert.True(alive.GetProperty("bytesOut").GetInt64() >= 2 * Requests);
        var p50 = alive.GetProperty("latencyMs").GetProperty("p50").GetDouble();
        var p99 = alive.GetProperty("latencyMs").GetProperty("p99").GetDouble();
        Assert.InRange(p50, 0.0001, p99);

        var shop = stats.GetProperty("routes").GetProperty("shop");
        Assert.Equal(Requests, shop.GetProperty("status")[1].GetInt64());
        Assert.True(shop.GetProperty("p95Ms").GetDouble() > 0);
        Assert.Equal(Requests, stats.GetProperty("routes").GetProperty("legacy").GetProperty("status")[4].GetInt64());

        var process = stats.GetProperty("status").GetProperty("process");
        Assert.True(process.GetProperty("uptimeSeconds").GetInt64() >= 0);
        Assert.True(process.GetProperty("workingSetBytes").GetInt64() > 0);
        Assert.True(process.GetProperty("threads").GetInt32() > 0);
        Assert.True(process.GetProperty("openConnections").GetInt64() >= 1, "the test client's kept-alive connection is open");

        await ShowInChromiumAsync(proxy, $"gone/127.0.0.1:{deadPort}", $"app/{good.Address.Authority}");
    }

    [Fact]
    public async Task A_slow_health_endpoint_shows_how_long_its_probe_took_in_the_json_and_on_the_dashboard()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var slow = await TestBackend.StartAsync("slow", async ctx =>
        {
            if (ctx.Request.Path == "/health")
            {
                await Task.Delay(HealthDelay, ctx.RequestAborted);
            }

            await ctx.Response.WriteAsync("ok", ctx.RequestAborted);
        });
        await using var proxy = await TestProxy.StartAsync($"""
            admin: {"{"} address: "127.0.0.1:0", token: {Token} {"}"}
            routes:
              slow: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app:
                destinations: [{slow.Url}]
                healthCheck:
                  active: {"{"} path: /health, interval: 500ms, timeout: 5s {"}"}
            """);
        using var admin = AdminClient(proxy);
        JsonElement check = default;
        await Poll.UntilAsync(async () =>
        {
            var clusters = JsonDocument.Parse(await admin.GetStringAsync("/api/clusters", ct)).RootElement;
            check = clusters.GetProperty("app").GetProperty("destinations")[0].GetProperty("lastCheck");
            return check.ValueKind == JsonValueKind.Object;
        }, "the first probe of the slow backend");
        Assert.True(check.GetProperty("passed").GetBoolean());
        Assert.Equal("200", check.GetProperty("result").GetString());
        // Less a few ms: the backend's delay timer may fire up to a tick early (199.98 ms was seen).
        Assert.InRange(check.GetProperty("latencyMs").GetDouble(), HealthDelay.TotalMilliseconds - 5, 5000);

        var stats = JsonDocument.Parse(await admin.GetStringAsync("/api/stats", ct)).RootElement;
        var latency = stats.GetProperty("destinations").GetProperty("app").GetProperty("destinations")[0].GetProperty("lastCheck").GetProperty("latencyMs").GetDouble();
        Assert.InRange(latency, HealthDelay.TotalMilliseconds - 5, 5000);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardTests.LaunchChromiumAsync(playwright);
        var problems = new ConcurrentQueue<string>();
        var page = await OpenDashboardAsync(browser, proxy, problems);
        var cell = $"#backends tr[data-destination='app/{slow.Address.Authority}'] td.check";
        await page.WaitForSelectorAsync(cell, new() { Timeout = 30_000 });
        Assert.Matches(@"^ok 200 in \d+ ms, \d+ s ago$", await page.TextContentAsync(cell));
        Assert.Empty(problems);
    }

    [Fact]
    public async Task A_backend_stopped_for_a_while_accrues_downtime_that_stops_growing_once_it_is_back()
    {
        var ct = TestContext.Current.CancellationToken;
        static Task Healthy(HttpContext ctx) => ctx.Response.WriteAsync("ok");
        var backend = await TestBackend.StartAsync("flaky", Healthy);
        var port = backend.Port;
        await using var proxy = await TestProxy.StartAsync($"""
            admin: {"{"} address: "127.0.0.1:0", token: {Token} {"}"}
            routes:
              app: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app:
                destinations: [{backend.Url}]
                healthCheck:
                  active: {"{"} path: /, interval: 200ms, unhealthyThreshold: 1, healthyThreshold: 1 {"}"}
            """);
        using var admin = AdminClient(proxy);
        async Task<(string State, double Downtime, DateTimeOffset? CheckedAt)> ReadAsync()
        {
            var d = JsonDocument.Parse(await admin.GetStringAsync("/api/clusters", ct)).RootElement.GetProperty("app").GetProperty("destinations")[0];
            var check = d.GetProperty("lastCheck");
            return (d.GetProperty("state").GetString()!, d.GetProperty("downtimeSeconds").GetDouble(),
                    check.ValueKind == JsonValueKind.Object ? check.GetProperty("at").GetDateTimeOffset() : null);
        }

        var now = default((string State, double Downtime, DateTimeOffset? CheckedAt));
        await Poll.UntilAsync(async () => (now = await ReadAsync()).State == "up" && now.CheckedAt is not null, "the backend probed up");
        Assert.Equal(0, now.Downtime);

        await backend.DisposeAsync();
        await Poll.UntilAsync(async () => (now = await ReadAsync()).State == "down", "the stopped backend marked down");
        var firstDown = now.Downtime;
        await Poll.UntilAsync(async () => (now = await ReadAsync()).Downtime >= firstDown + 1, "downtime to grow by a second while the backend is down");
        Assert.Equal("down", now.State);

        await using var revived = await TestBackend.StartAsync("flaky-again", Healthy, port: port);
        await Poll.UntilAsync(async () => (now = await ReadAsync()).State == "up", "the revived backend probed up");
        var total = now.Downtime;
        Assert.True(total >= firstDown + 1, $"downtime {total} s covers the second it was seen growing");
        var upAt = now.CheckedAt!.Value;

        // A second of passing probes after it came back: the downtime must not have moved.
        await Poll.UntilAsync(async () => (now = await ReadAsync()).CheckedAt >= upAt.AddSeconds(1), "a second of probes after the backend came back");
        Assert.Equal("up", now.State);
        Assert.Equal(total, now.Downtime);
    }

    private static async Task ShowInChromiumAsync(TestProxy proxy, string dead, string alive)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardTests.LaunchChromiumAsync(playwright);
        var problems = new ConcurrentQueue<string>();
        var page = await OpenDashboardAsync(browser, proxy, problems);
        await page.WaitForSelectorAsync($"#backends tr[data-destination='{dead}'] .state.failing", new() { Timeout = 30_000 });
        Assert.Equal($"0 / 0 / 0 / 0", await page.TextContentAsync($"#backends tr[data-destination='{alive}'] td.errors"));
        Assert.Equal($"{Requests} / 0 / 0 / 0", await page.TextContentAsync($"#backends tr[data-destination='{dead}'] td.errors"));
        Assert.Equal("no checks", await page.TextContentAsync($"#backends tr[data-destination='{dead}'] td.check"));
        Assert.DoesNotContain("–", await page.TextContentAsync($"#backends tr[data-destination='{alive}'] td.latency"));
        await page.WaitForFunctionAsync("() => document.querySelector(\"#routes tr[data-route='shop'] td.rule\")?.textContent === '/shop* GET'", null, new() { Timeout = 30_000 });
        Assert.Equal($"{Requests} / 0 / 0 / 0", await page.TextContentAsync("#routes tr[data-route='shop'] td.classes"));
        Assert.Equal("fast", await page.TextContentAsync("#routes tr[data-route='shop'] td.path"));

        Assert.EndsWith("MiB", await page.TextContentAsync("#process tr[data-field='memory (working set)'] td:last-child"));
        Assert.NotEqual("0", await page.TextContentAsync("#process tr[data-field='open connections'] td:last-child"));

        Directory.CreateDirectory(DashboardTests.ArtifactsDirectory());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardTests.ArtifactsDirectory(), "console-backends.png"), FullPage = true });
        Assert.Empty(problems);
    }

    [Fact]
    public async Task A_certificate_near_expiry_is_flagged_in_the_json_and_on_the_dashboard()
    {
        var ct = TestContext.Current.CancellationToken;
        using var pki = TestPki.Create();
        var pem = pki.WritePem(pki.Issue("soon.test", ["soon.test"], validFor: TimeSpan.FromDays(5.5)), "soon");
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await SecureProxyAsync($"{{ certificates: [{{ cert: {pem.Cert}, key: {pem.Key} }}] }}", backend.Url);
        using var admin = AdminClient(proxy);
        var certificate = JsonDocument.Parse(await admin.GetStringAsync("/api/certificates", ct)).RootElement[0];
        Assert.Equal(5, certificate.GetProperty("daysToExpiry").GetInt32());
        Assert.True(certificate.GetProperty("expiresSoon").GetBoolean());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardTests.LaunchChromiumAsync(playwright);
        var problems = new ConcurrentQueue<string>();
        var page = await OpenDashboardAsync(browser, proxy, problems);
        await page.WaitForSelectorAsync("#listeners tr[data-listener='secure'] .certificate.expiring", new() { Timeout = 30_000 });
        Assert.Equal("soon.test · Portico Test Root · 5 days left (renew!) · file", await page.TextContentAsync("#listeners tr[data-listener='secure'] .certificate"));
        Assert.Equal("http1, h2", await page.TextContentAsync("#listeners tr[data-listener='secure'] td:nth-child(3)"));
        // No redis section, no Redis panel.
        Assert.True(await page.IsHiddenAsync("#redis-panel"));

        Directory.CreateDirectory(DashboardTests.ArtifactsDirectory());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardTests.ArtifactsDirectory(), "console-listeners.png"), FullPage = true });
        Assert.Empty(problems);
    }

    /// <summary>
    /// Per route what its stages did (issue 26), the cache panel (issue 23), the hour's history,
    /// the search box, the links from a route to its backends, the maintenance switch and the
    /// theme toggle from the keyboard, and axe-core finding no serious or critical violation in
    /// either theme, on a known mix: cache hits and misses, a WAF refusal, a rate-limit refusal.
    /// </summary>
    [Fact]
    public async Task Route_refusals_cache_panel_history_search_maintenance_and_both_themes_pass_axe()
    {
        var ct = TestContext.Current.CancellationToken;
        const string body = "cached-body";
        await using var app = await TestBackend.StartAsync("app", ctx =>
        {
            ctx.Response.Headers.CacheControl = "public, max-age=600";
            return ctx.Response.WriteAsync(body);
        });
        await using var other = await TestBackend.StartAsync("other", ctx => ctx.Response.WriteAsync("other"));
        await using var proxy = await TestProxy.StartAsync($$"""
            admin: { address: "127.0.0.1:0", token: {{Token}} }
            routes:
              cached: { match: { pathPrefix: /cached }, cluster: app, cache: {} }
              guarded: { match: { pathPrefix: /guarded }, cluster: app, waf: block }
              limited: { match: { pathPrefix: /limited }, cluster: app, rateLimit: { limit: 1, window: 1h } }
              closing: { match: { pathPrefix: /closing }, cluster: other, maintenance: {} }
            clusters:
              app: { destinations: [{{app.Url}}] }
              other: { destinations: [{{other.Url}}] }
            """);

        // Counted from what each answer's Cache-Status says, so a store that lands a moment after
        // the first answer (a second miss) changes the counts, not the outcome of the test.
        var (hits, misses, sent) = (0, 0, 0);
        while (hits < 4 && sent < 50)
        {
            using var response = await proxy.Client.GetAsync("/cached/a", ct);
            Assert.Equal(body, await response.Content.ReadAsStringAsync(ct));
            sent++;
            _ = response.Headers.GetValues("Cache-Status").Single().Contains("; hit", StringComparison.Ordinal) ? hits++ : misses++;
        }

        using (var response = await proxy.Client.GetAsync("/cached/b", ct))
        {
            Assert.Contains("fwd=uri-miss", response.Headers.GetValues("Cache-Status").Single());
            misses++;
        }

        Assert.Equal(403, (int)(await proxy.Client.GetAsync("/guarded/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E", ct)).StatusCode);
        Assert.Equal(200, (int)(await proxy.Client.GetAsync("/guarded/products?page=2", ct)).StatusCode);
        Assert.Equal(200, (int)(await proxy.Client.GetAsync("/limited/x", ct)).StatusCode);
        Assert.Equal(429, (int)(await proxy.Client.GetAsync("/limited/x", ct)).StatusCode);

        using var admin = AdminClient(proxy);
        var stats = JsonDocument.Parse(await admin.GetStringAsync("/api/stats?minutes=60", ct)).RootElement;
        var routes = stats.GetProperty("routes");
        var cache = routes.GetProperty("cached").GetProperty("cache");
        Assert.Equal(hits, cache.GetProperty("hits").GetInt64());
        Assert.Equal(misses, cache.GetProperty("misses").GetInt64());
        Assert.Equal(0, cache.GetProperty("stale").GetInt64());
        Assert.Equal(Math.Round(hits / (double)(hits + misses), 4), cache.GetProperty("hitRatio").GetDouble());
        Assert.Equal(hits * body.Length, cache.GetProperty("bytesServed").GetInt64());
        Assert.Equal("""{"waf":1,"rateLimit":0}""", routes.GetProperty("guarded").GetProperty("refusals").GetRawText());
        Assert.Equal("""{"waf":0,"rateLimit":1}""", routes.GetProperty("limited").GetProperty("refusals").GetRawText());
        Assert.False(routes.GetProperty("guarded").TryGetProperty("cache", out _), "a route without a cache has no cache counts");
        Assert.False(stats.GetProperty("clusters").GetProperty("app").TryGetProperty("refusals", out _), "a cluster refuses nothing itself");
        Assert.True(stats.GetProperty("listeners").GetProperty("main").GetProperty("openConnections").GetInt64() >= 1);

        var history = stats.GetProperty("history");
        Assert.Equal(60, history.GetArrayLength());
        Assert.InRange(history[59].GetProperty("seconds").GetInt32(), 1, 60);
        Assert.True(history.EnumerateArray().Sum(m => m.GetProperty("requests").GetInt64()) >= sent + 5, "every request is in the hour's history");
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(await admin.GetStringAsync("/api/stats", ct)).RootElement.GetProperty("history").ValueKind);

        var panel = JsonDocument.Parse(await admin.GetStringAsync("/api/cache", ct)).RootElement;
        Assert.Equal(hits, panel.GetProperty("outcomes").GetProperty("hits").GetInt64());
        Assert.Equal(2, panel.GetProperty("tiers").GetProperty("memory").GetProperty("entries").GetInt64());
        var top = Assert.Single(panel.GetProperty("topUrls").EnumerateArray());
        Assert.EndsWith("/cached/a", top.GetProperty("url").GetString());
        Assert.Equal(hits, top.GetProperty("hits").GetInt64());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardTests.LaunchChromiumAsync(playwright);
        var problems = new ConcurrentQueue<string>();
        var page = await OpenDashboardAsync(browser, proxy, problems, bypassCsp: true);
        var ratio = $"{100.0 * hits / (hits + misses):0.0}%";
        await page.WaitForFunctionAsync($"() => document.querySelector(\"#routes tr[data-route='cached'] td.cache\")?.textContent === '{ratio} ({hits} / 0 / {misses})'", null, new() { Timeout = 30_000 });
        Assert.Equal("1 / 0", await page.TextContentAsync("#routes tr[data-route='guarded'] td.refusals"));
        Assert.Equal("0 / 1", await page.TextContentAsync("#routes tr[data-route='limited'] td.refusals"));
        Assert.Equal(ratio, await page.TextContentAsync("#cache tr[data-field='hit ratio'] td"));
        Assert.EndsWith("/cached/a", await page.TextContentAsync("#top-urls td.url"));
        Assert.Equal("2", await page.TextContentAsync("#cache-tiers tr[data-tier='memory'] td:nth-child(2)"));
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 1280"), "the page fits 1280 px");

        // The search box: a route by name, then a cluster, which shows its routes and backends.
        await page.FillAsync("#search", "limited");
        Assert.True(await page.IsVisibleAsync("#routes tr[data-route='limited']"));
        Assert.True(await page.IsHiddenAsync("#routes tr[data-route='cached']"));
        Assert.True(await page.IsHiddenAsync($"#backends tr[data-destination='app/{app.Address.Authority}']"));
        await page.FillAsync("#search", "other");
        Assert.True(await page.IsVisibleAsync("#routes tr[data-route='closing']"));
        Assert.True(await page.IsHiddenAsync("#routes tr[data-route='limited']"));
        Assert.True(await page.IsVisibleAsync($"#backends tr[data-destination='other/{other.Address.Authority}']"));
        await page.FillAsync("#search", "");
        Assert.True(await page.IsVisibleAsync("#routes tr[data-route='cached']"));

        // From a route to its cluster's backends, by keyboard.
        await page.FocusAsync("#routes tr[data-route='cached'] a.to-cluster");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => location.hash === '#backends-app'");

        // Maintenance on and off from the page, by keyboard: the button keeps the focus across the redraw.
        await page.FocusAsync("#routes tr[data-route='closing'] td.maintenance button");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => document.querySelector(\"#routes tr[data-route='closing'] td.maintenance .state\")?.textContent === 'on'");
        Assert.Equal(503, (int)(await proxy.Client.GetAsync("/closing/x", ct)).StatusCode);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => document.querySelector(\"#routes tr[data-route='closing'] td.maintenance .state\")?.textContent === 'off'");
        Assert.Equal(200, (int)(await proxy.Client.GetAsync("/closing/x", ct)).StatusCode);

        // The range: five minutes by second, then the hour by minute.
        Assert.Equal("300", await page.GetAttributeAsync("#rps-chart", "data-points"));
        await page.SelectOptionAsync("#range", "1h");
        await page.WaitForFunctionAsync("() => document.getElementById('rps-chart').dataset.points === '60'");

        Directory.CreateDirectory(DashboardTests.ArtifactsDirectory());
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = AxeScript() });
        Assert.Empty(await SeriousViolationsAsync(page));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardTests.ArtifactsDirectory(), "console-light.png"), FullPage = true });

        await page.FocusAsync("#theme");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.theme === 'dark'");
        Assert.Equal("rgb(18, 22, 28)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        Assert.Empty(await SeriousViolationsAsync(page));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardTests.ArtifactsDirectory(), "console-dark.png"), FullPage = true });
        Assert.Empty(problems);
    }

    /// <summary>An ACME host whose CA cannot be reached: its stand-in certificate shows the failure, when it is tried next and why it failed, in the JSON and on the page.</summary>
    [Fact]
    public async Task An_acme_certificate_shows_its_failures_last_error_and_next_attempt()
    {
        var ct = TestContext.Current.CancellationToken;
        var storage = Directory.CreateTempSubdirectory("portico-acme-").FullName;
        using var cleanup = new Cleanup(() => Directory.Delete(storage, recursive: true));
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await SecureProxyAsync(
            "{ acme: [acme.portico.test] }",
            backend.Url,
            $"acme: {{ directory: \"https://127.0.0.1:{FreePorts.Take()}/directory\", email: ops@portico.test, storage: {storage}, challenge: tls-alpn-01, retryBackoff: 1h }}");
        using var admin = AdminClient(proxy);
        JsonElement acme = default;
        await Poll.UntilAsync(async () =>
        {
            var certificate = JsonDocument.Parse(await admin.GetStringAsync("/api/certificates", ct)).RootElement[0];
            acme = certificate.GetProperty("acme");
            return acme.GetProperty("state").GetString() == "failing";
        }, "the ACME attempt's failure in /api/certificates", seconds: 60);
        Assert.Equal(1, acme.GetProperty("failures").GetInt32());
        Assert.False(string.IsNullOrEmpty(acme.GetProperty("lastError").GetString()));
        Assert.InRange(acme.GetProperty("nextAttempt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(50), DateTimeOffset.UtcNow.AddMinutes(61));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardTests.LaunchChromiumAsync(playwright);
        var problems = new ConcurrentQueue<string>();
        var page = await OpenDashboardAsync(browser, proxy, problems);
        await page.WaitForSelectorAsync("#listeners tr[data-listener='secure'] .certificate", new() { Timeout = 30_000 });
        Assert.Contains("ACME failing, next try", await page.TextContentAsync("#listeners tr[data-listener='secure'] .certificate"));
        Assert.Contains("last error: ", await page.TextContentAsync("#listeners tr[data-listener='secure'] .certificate"));
        Assert.Empty(problems);
    }

    /// <summary>
    /// The Redis panel (issue 24) for two instances sharing a real Redis: connected, shared, the
    /// endpoint, the heartbeat's latency and two live instances; with Redis killed, disconnected
    /// and in fallback, in the JSON and on the page; axe-core finds nothing serious with it shown.
    /// </summary>
    [Fact]
    public async Task The_redis_panel_shows_the_connection_and_the_fallback_once_redis_is_killed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxies = await SharedProxies.StartAsync(redis, $$"""
            admin: { address: "127.0.0.1:0", token: {{Token}} }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        using var admin = AdminClient(proxies.A);
        JsonElement view = default;
        await Poll.UntilAsync(async () =>
        {
            view = JsonDocument.Parse(await admin.GetStringAsync("/api/redis", ct)).RootElement;
            return view.GetProperty("instances").GetInt64() == 2 && view.GetProperty("latencyMs").ValueKind == JsonValueKind.Number;
        }, "two live instances in /api/redis", seconds: 30);
        Assert.Equal("connected", view.GetProperty("state").GetString());
        Assert.Equal("closed", view.GetProperty("breaker").GetString());
        Assert.Equal("shared", view.GetProperty("mode").GetString());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardTests.LaunchChromiumAsync(playwright);
        var problems = new ConcurrentQueue<string>();
        var page = await OpenDashboardAsync(browser, proxies.A, problems, bypassCsp: true);
        await page.WaitForSelectorAsync("#redis tr[data-field='state']", new() { Timeout = 30_000 });
        Assert.Equal("connected", await page.TextContentAsync("#redis tr[data-field='state'] td"));
        Assert.Equal(redis.Endpoint, await page.TextContentAsync("#redis tr[data-field='endpoint'] td"));
        Assert.Matches(@"^\d+\.\d ms$", await page.TextContentAsync("#redis tr[data-field='latency'] td") ?? "");
        Assert.Equal("2", await page.TextContentAsync("#redis tr[data-field='live instances'] td"));
        Assert.Equal("shared", await page.TextContentAsync("#redis tr[data-field='mode'] td"));
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = AxeScript() });
        Assert.Empty(await SeriousViolationsAsync(page));

        // The page draws what a snapshot says (its event stream is refused): a reload after the kill shows it.
        await redis.KillAsync();
        await Poll.UntilAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/api/redis", ct)).RootElement.GetProperty("state").GetString() == "disconnected", "the loss in /api/redis", seconds: 30);
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => document.querySelector(\"#redis tr[data-field='state'] td\")?.textContent === 'disconnected'", null, new() { Timeout = 30_000 });
        Assert.Equal("fallback: each instance alone, rate limits ÷ 2", await page.TextContentAsync("#redis tr[data-field='mode'] td"));
        Directory.CreateDirectory(DashboardTests.ArtifactsDirectory());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardTests.ArtifactsDirectory(), "console-redis.png"), FullPage = true });
        Assert.Empty(problems);
    }

    /// <summary>A proxy with an HTTPS listener `secure` (its `tls` section given) and one route to <paramref name="backend"/>.</summary>
    private static Task<TestProxy> SecureProxyAsync(string tls, string backend, string extra = "") => TestProxy.StartAsync($$"""
        admin: { address: "127.0.0.1:0", token: {{Token}} }
        listeners:
          secure: { address: "127.0.0.1:0", tls: {{tls}} }
        {{extra}}
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backend}}] }
        """);

    private static HttpClient AdminClient(TestProxy proxy)
    {
        var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return admin;
    }

    private sealed class Cleanup(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    /// <summary>axe-core's script, installed by scripts/install-test-deps.sh.</summary>
    private static string AxeScript()
    {
        var path = Path.Combine(Environment.GetEnvironmentVariable("PORTICO_AXE") ?? "/opt/portico-test-deps/axe-core", "node_modules", "axe-core", "axe.min.js");
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/install-test-deps.sh");
        return path;
    }

    /// <summary>What axe-core finds serious or critical on the page as it is: rule, help and the first elements.</summary>
    private static Task<string[]> SeriousViolationsAsync(IPage page) => page.EvaluateAsync<string[]>("""
        async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)
        """);

    /// <summary>
    /// The dashboard at 1280 px with its event stream refused: all the page shows comes from the
    /// snapshot it fetches before opening the stream, so what a test finds there proves the first
    /// paint has data (issue 26: one screenshot in four showed "connecting…" and empty panels).
    /// </summary>
    /// <param name="bypassCsp">Lets the test inject axe-core, which the page's Content-Security-Policy (script-src 'self') would refuse.</param>
    private static async Task<IPage> OpenDashboardAsync(IBrowser browser, TestProxy proxy, ConcurrentQueue<string> problems, bool bypassCsp = false)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 }, BypassCSP = bypassCsp });
        page.PageError += (_, error) => problems.Enqueue("page error: " + error);
        await page.RouteAsync("**/api/stats/stream**", route => route.AbortAsync());
        await page.GotoAsync($"{proxy.AdminAddress!.ToString().TrimEnd('/')}/?token={Token}");
        return page;
    }
}
