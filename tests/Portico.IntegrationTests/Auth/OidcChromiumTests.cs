using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>OIDC login once through a real browser: Debian's Chromium driven by Playwright (scripts/install-test-deps.sh installs it).</summary>
public sealed class OidcChromiumTests : IDisposable
{
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("portico-oidc-keys-");

    /// <summary>A page naming the caller Portico says it is, with a logout link.</summary>
    private static Task App(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        var user = System.Net.WebUtility.HtmlEncode(context.Request.Headers["X-Auth-User"].ToString());
        return context.Response.WriteAsync($"<!doctype html><title>app</title><h1 id=\"who\">{user}</h1><a id=\"logout\" href=\"/_portico/oidc/logout\">Log out</a>");
    }

    [Fact]
    public async Task A_browser_is_sent_to_the_login_form_comes_back_with_a_session_and_logs_out()
    {
        await using var provider = await OpenIdProvider.StartAsync(TimeSpan.FromHours(1));
        await using var backend = await TestBackend.StartAsync("app", App);
        await using var proxy = await TestProxy.StartAsync(OidcTests.Config(_keys, provider, backend, ", postLogoutRedirect: /bye"));
        var site = proxy.Address.GetLeftPart(UriPartial.Authority);
        using var playwright = await Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        // What the browser asked and got, for the failure message: the logout's redirects once took a minute in CI.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var trail = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Request += (_, r) => trail.Enqueue($"{clock.ElapsedMilliseconds} ms {r.Method} {r.Url}");
        page.Response += (_, r) => trail.Enqueue($"{clock.ElapsedMilliseconds} ms {r.Status} {r.Url}");
        page.RequestFailed += (_, r) => trail.Enqueue($"{clock.ElapsedMilliseconds} ms failed {r.Url}: {r.Failure}");

        await page.GotoAsync($"{site}/app/home");
        Assert.StartsWith($"{provider.Url}/connect/authorize?", page.Url, StringComparison.Ordinal);
        Assert.Equal(0, backend.Requests.Count(r => r.PathAndQuery.StartsWith("/app", StringComparison.Ordinal)));

        await page.FillAsync("#username", "carol");
        await page.ClickAsync("#login");
        await page.WaitForURLAsync($"{site}/app/home");
        Assert.Equal("carol", await page.InnerTextAsync("#who"));
        var session = Assert.Single(await context.CookiesAsync([site]), c => c.Name == "portico_oidc");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);
        Assert.Equal("/", session.Path);

        await page.GotoAsync($"{site}/app/again");
        Assert.Equal("carol", await page.InnerTextAsync("#who"));

        await page.ClickAsync("#logout");
        // Three redirects through two servers (Portico, the provider's end-session endpoint, back):
        // a fresh-clone CI run's third pass took past the default 30 s once.
        try
        {
            await page.WaitForURLAsync($"{site}/bye", new() { Timeout = 60_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the logout did not end at /bye within 60 s; the page is at {page.Url}; the browser's requests: {string.Join(" | ", trail)}");
        }

        Assert.DoesNotContain(await context.CookiesAsync([site]), c => c.Name.StartsWith("portico_oidc", StringComparison.Ordinal));
        Assert.Single(provider.EndSessions);

        await page.GotoAsync($"{site}/app/home");
        Assert.StartsWith($"{provider.Url}/connect/authorize?", page.Url, StringComparison.Ordinal);
        Assert.Equal(["/app/home", "/app/again"], backend.Requests.Where(r => r.PathAndQuery.StartsWith("/app", StringComparison.Ordinal)).Select(r => r.PathAndQuery));
    }

    public void Dispose() => _keys.Delete(recursive: true);
}
