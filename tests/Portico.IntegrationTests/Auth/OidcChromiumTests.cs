using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var trail = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Request += (_, r) => trail.Enqueue($"{clock.ElapsedMilliseconds} ms {r.Method} {r.Url}");
        page.Response += (_, r) => trail.Enqueue($"{clock.ElapsedMilliseconds} ms {r.Status} {r.Url}");
        page.RequestFailed += (_, r) => trail.Enqueue($"{clock.ElapsedMilliseconds} ms failed {r.Url}: {r.Failure}");

        // Every wait names, when it fails, where the page is, what the browser asked and got, and
        // what Portico logged. The address is asserted with Expect(page).ToHaveURLAsync, which the
        // driver polls: page.WaitForURLAsync checks the address, then subscribes to the load event,
        // and can lose it in between (microsoft/playwright-dotnet#3364); a CI run's login timed out
        // so, in WaitForLoadStateAsync, with the redirects done.
        async Task Step(string what, Func<Task> step)
        {
            try
            {
                await step();
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.IAssertionException)
            {
                var logs = proxy.Logs.Lines.Where(l => l.Level >= LogLevel.Information && l.Category.StartsWith("Portico", StringComparison.Ordinal))
                    .Select(l => $"{l.EventId} {l.Message} {l.Exception}");
                Assert.Fail($"{what}: {ex.Message.Split('\n')[0]}; the page is at {page.Url} with {await Text()}; the browser's requests: {string.Join(" | ", trail)}; Portico logged: {string.Join(" | ", logs)}");
            }
        }

        async Task<string> Text()
        {
            try
            {
                return $"\"{(await page.InnerTextAsync("body", new() { Timeout = 2_000 })).ReplaceLineEndings(" ")}\"";
            }
            catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
            {
                return "no body";
            }
        }

        await Step("the first visit", () => page.GotoAsync($"{site}/app/home"));
        Assert.StartsWith($"{provider.Url}/connect/authorize?", page.Url, StringComparison.Ordinal);
        Assert.Equal(0, backend.Requests.Count(r => r.PathAndQuery.StartsWith("/app", StringComparison.Ordinal)));

        await Step("the login form", async () =>
        {
            await page.FillAsync("#username", "carol");
            await page.ClickAsync("#login");
            await Assertions.Expect(page).ToHaveURLAsync($"{site}/app/home", new() { Timeout = 60_000 });
        });
        Assert.Equal("carol", await page.InnerTextAsync("#who"));
        var session = Assert.Single(await context.CookiesAsync([site]), c => c.Name == "portico_oidc");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);
        Assert.Equal("/", session.Path);

        await Step("the second visit", () => page.GotoAsync($"{site}/app/again"));
        Assert.Equal("carol", await page.InnerTextAsync("#who"));

        // Three redirects through two servers (Portico, the provider's end-session endpoint, back).
        await Step("the logout", async () =>
        {
            await page.ClickAsync("#logout");
            await Assertions.Expect(page).ToHaveURLAsync($"{site}/bye", new() { Timeout = 60_000 });
        });

        Assert.DoesNotContain(await context.CookiesAsync([site]), c => c.Name.StartsWith("portico_oidc", StringComparison.Ordinal));
        Assert.Single(provider.EndSessions);

        await Step("the visit after the logout", () => page.GotoAsync($"{site}/app/home"));
        Assert.StartsWith($"{provider.Url}/connect/authorize?", page.Url, StringComparison.Ordinal);
        Assert.Equal(["/app/home", "/app/again"], backend.Requests.Where(r => r.PathAndQuery.StartsWith("/app", StringComparison.Ordinal)).Select(r => r.PathAndQuery));
    }

    public void Dispose() => _keys.Delete(recursive: true);
}
