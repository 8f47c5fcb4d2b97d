using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Admin;

/// <summary>The dashboard in Debian's Chromium, driven by Playwright (scripts/install-test-deps.sh installs it).</summary>
public sealed class DashboardTests
{
    private const string Token = "dashboard-token-0123456789";

    public static string ArtifactsDirectory([System.Runtime.CompilerServices.CallerFilePath] string source = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", "..", "artifacts"));

    /// <summary>Debian's headless Chromium, with nothing of its own on the network.</summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });

    [Fact]
    public async Task The_page_loads_charts_move_with_traffic_and_a_dead_backend_turns_down()
    {
        await using var steady = await TestBackend.StartAsync("steady", ctx => ctx.Response.WriteAsync("ok"));
        var doomed = await TestBackend.StartAsync("doomed", ctx => ctx.Response.WriteAsync("ok"));
        await using var proxy = await TestProxy.StartAsync($"""
            admin: {"{"} address: "127.0.0.1:0", token: {Token} {"}"}
            routes:
              shop: {"{"} match: {"{"} pathPrefix: /shop {"}"}, cluster: app {"}"}
              api: {"{"} match: {"{"} pathPrefix: /api {"}"}, cluster: app {"}"}
              private: {"{"} match: {"{"} pathPrefix: /private {"}"}, cluster: app, auth: {"{"} apiKey: {"{"} keys: [{"{"} name: k, sha256: {new string('0', 64)} {"}"}] {"}"} {"}"}, maintenance: {"{"}{"}"} {"}"}
            clusters:
              app:
                retries: 1
                destinations: [{steady.Url}, {doomed.Url}]
                healthCheck:
                  active: {"{"} path: /, interval: 200ms, unhealthyThreshold: 1 {"}"}
            """);
        var admin = proxy.AdminAddress!.ToString().TrimEnd('/');
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        var problems = new ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                problems.Enqueue($"console {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => problems.Enqueue("page error: " + error);
        var foreign = new ConcurrentBag<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(admin, StringComparison.Ordinal))
            {
                foreign.Add(request.Url);
            }
        };

        // Traffic in the background until the test stops it (capped at 3 minutes and a million
        // requests, a bound no run reaches: 50 requests take at least 10 ms): the p99 and
        // requests-per-second cards show the last second only, so traffic that ran out early (a
        // fast machine's 20,000 requests, or a slow machine's first 30 s) would read as none.
        using var stop = new CancellationTokenSource();
        var killed = false;
        var traffic = Task.Run(async () =>
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 1_000_000 && watch.Elapsed < TimeSpan.FromMinutes(3) && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    using var _ = await proxy.Client.GetAsync(i % 3 == 0 ? "/api/x" : "/shop/y", CancellationToken.None);
                }
                catch (HttpRequestException) when (Volatile.Read(ref killed))
                {
                    // A response in flight from the backend the test kills is cut short, by
                    // the proxy as by any (the backend reset it mid-body): not what this test asks.
                }
                if (i % 50 == 0)
                {
                    await Task.Delay(10);
                }
            }
        }, TestContext.Current.CancellationToken);

        await page.GotoAsync($"{admin}/?token={Token}");
        try
        {
            await page.WaitForFunctionAsync("() => document.getElementById('connection').textContent === 'live'", null, new() { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            Directory.CreateDirectory(ArtifactsDirectory());
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory(), "dashboard-failure.png") });
            Assert.Fail("the dashboard never went live: " + string.Join("; ", problems));
        }

        await page.WaitForFunctionAsync("() => Number(document.getElementById('rps-now').textContent.replace(/,/g, '')) > 0", null, new() { Timeout = 30_000 });
        var chartBefore = await page.EvalOnSelectorAsync<string>("#rps-chart", "c => c.toDataURL()");
        await page.WaitForFunctionAsync("before => document.getElementById('rps-chart').toDataURL() !== before", chartBefore, new() { Timeout = 30_000 });
        await page.WaitForSelectorAsync("#routes tr[data-route='shop']");
        await page.WaitForSelectorAsync("#routes tr[data-route='api']");
        await page.WaitForFunctionAsync("() => document.querySelector(\"#routes tr[data-route='private'] td.auth\")?.textContent === 'apiKey'");
        Assert.Equal("open", await page.TextContentAsync("#routes tr[data-route='shop'] td.auth"));

        // The maintenance column: empty for a route that cannot be switched, then what the admin API switched.
        await page.WaitForFunctionAsync("() => document.querySelector(\"#routes tr[data-route='private'] td.maintenance .state\")?.textContent === 'off'");
        Assert.Equal("", await page.TextContentAsync("#routes tr[data-route='shop'] td.maintenance"));
        using (var api = new HttpClient { BaseAddress = proxy.AdminAddress })
        {
            api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
            (await api.PostAsync("/api/routes/private/maintenance?enabled=true", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        await page.WaitForFunctionAsync("() => document.querySelector(\"#routes tr[data-route='private'] td.maintenance .state\")?.textContent === 'on'");

        var doomedRow = $"#backends tr[data-destination='app/{doomed.Address.Authority}'] .state";
        Assert.Equal("up", await page.TextContentAsync(doomedRow));
        Volatile.Write(ref killed, true);
        await doomed.DisposeAsync();
        await page.WaitForSelectorAsync($"{doomedRow}.down", new() { Timeout = 15_000 });
        Assert.Equal("up", await page.TextContentAsync($"#backends tr[data-destination='app/{steady.Address.Authority}'] .state"));
        // The card shows the last second's p99: waited for, as a stalled second shows none.
        await page.WaitForFunctionAsync("() => document.getElementById('p99-now').textContent !== '–'", null, new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => document.querySelector(\"#clusters tr[data-cluster='app'] td:last-child\").textContent === '1 of 2'");

        Directory.CreateDirectory(ArtifactsDirectory());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory(), "dashboard.png"), FullPage = true });
        await stop.CancelAsync();
        await traffic;
        Assert.Empty(foreign);
        Assert.Empty(problems);
    }
}
