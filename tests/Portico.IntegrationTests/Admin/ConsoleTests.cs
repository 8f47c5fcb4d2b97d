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

        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
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
        await using var proxy = await TestProxy.StartAsync($$"""
            admin: { address: "127.0.0.1:0", token: {{Token}} }
            listeners:
              secure:
                address: 127.0.0.1:0
                tls:
                  certificates: [{ cert: {{pem.Cert}}, key: {{pem.Key}} }]
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var certificate = JsonDocument.Parse(await admin.GetStringAsync("/api/certificates", ct)).RootElement[0];
        Assert.Equal(5, certificate.GetProperty("daysToExpiry").GetInt32());
        Assert.True(certificate.GetProperty("expiresSoon").GetBoolean());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DashboardTests.LaunchChromiumAsync(playwright);
        var problems = new ConcurrentQueue<string>();
        var page = await OpenDashboardAsync(browser, proxy, problems);
        await page.WaitForSelectorAsync("#listeners tr[data-listener='secure'] .certificate.expiring", new() { Timeout = 30_000 });
        Assert.Equal("soon.test · Portico Test Root · 5 days left (renew!)", await page.TextContentAsync("#listeners tr[data-listener='secure'] .certificate"));
        Assert.Equal("http1, h2", await page.TextContentAsync("#listeners tr[data-listener='secure'] td:nth-child(3)"));

        Directory.CreateDirectory(DashboardTests.ArtifactsDirectory());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardTests.ArtifactsDirectory(), "console-listeners.png"), FullPage = true });
        Assert.Empty(problems);
    }

    /// <summary>
    /// The dashboard at 1280 px with its event stream refused: all the page shows comes from the
    /// snapshot it fetches before opening the stream, so what a test finds there proves the first
    /// paint has data (issue 26: one screenshot in four showed "connecting…" and empty panels).
    /// </summary>
    private static async Task<IPage> OpenDashboardAsync(IBrowser browser, TestProxy proxy, ConcurrentQueue<string> problems)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        page.PageError += (_, error) => problems.Enqueue("page error: " + error);
        await page.RouteAsync("**/api/stats/stream**", route => route.AbortAsync());
        await page.GotoAsync($"{proxy.AdminAddress!.ToString().TrimEnd('/')}/?token={Token}");
        return page;
    }
}
