using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// <summary>
/// `match.device`, `match.clientIps`, `match.cookies` and a route's `device` section, through a
/// real proxy to real backends, with User-Agent strings real browsers and crawlers send.
/// </summary>
public sealed class DeviceRoutingTests
{
    private const string IPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    private const string Pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
    private const string IPad = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    private const string GalaxyTab = "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    private const string WindowsChrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    private const string MacSafari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    private const string Googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    private const string ReducedAndroidChrome = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";

    [Theory]
    [InlineData(IPhone, null, "phones")]
    [InlineData(Pixel, null, "phones")]
    [InlineData(ReducedAndroidChrome, "?1", "phones")]
    [InlineData(IPad, null, "tablets")]
    [InlineData(GalaxyTab, null, "tablets")]
    [InlineData(WindowsChrome, "?0", "desktops")]
    [InlineData(MacSafari, null, "desktops")]
    [InlineData(Googlebot, null, "bots")]
    [InlineData("curl/8.5.0", null, "bots")]
    public async Task Each_device_class_reaches_its_route(string userAgent, string? mobileHint, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var phones = await TestBackend.StartAsync("phones");
        await using var tablets = await TestBackend.StartAsync("tablets");
        await using var desktops = await TestBackend.StartAsync("desktops");
        await using var bots = await TestBackend.StartAsync("bots");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              phones:   { match: { pathPrefix: /, device: [mobile] }, cluster: phones }
              tablets:  { match: { pathPrefix: /, device: [tablet] }, cluster: tablets }
              bots:     { match: { pathPrefix: /, device: [bot] }, cluster: bots }
              desktops: { match: { pathPrefix: / }, cluster: desktops }
            clusters:
              phones:   { destinations: [{{phones.Url}}] }
              tablets:  { destinations: [{{tablets.Url}}] }
              desktops: { destinations: [{{desktops.Url}}] }
              bots:     { destinations: [{{bots.Url}}] }
            """);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/page");
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        if (mobileHint is not null)
        {
            request.Headers.Add("Sec-CH-UA-Mobile", mobileHint);
        }

        var response = await proxy.Client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsStringAsync(ct));
        if (expected != "desktops")
        {
            // The route was chosen by the device class: a downstream cache must key on what it comes from.
            Assert.Equal("User-Agent, Sec-CH-UA-Mobile, Sec-CH-UA-Platform", response.Headers.Vary.Count > 0 ? string.Join(", ", response.Headers.Vary) : null);
        }
    }

    [Fact]
    public async Task Client_address_and_cookie_conditions_pick_the_route()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var office = await TestBackend.StartAsync("office");
        await using var beta = await TestBackend.StartAsync("beta");
        await using var other = await TestBackend.StartAsync("other");
        await using var proxy = await TestProxy.StartAsync($$"""
            admin: { address: "127.0.0.1:0" }
            proxy: { trustedProxies: [127.0.0.1] }
            routes:
              office: { match: { pathPrefix: /, clientIps: [203.0.113.0/24, "2001:db8::/32"] }, cluster: office }
              beta:   { match: { pathPrefix: /, cookies: { variant: { values: [beta], caseSensitive: true }, session: { mode: exists } } }, cluster: beta }
              other:  { match: { pathPrefix: / }, cluster: other }
            clusters:
              office: { destinations: [{{office.Url}}] }
              beta:   { destinations: [{{beta.Url}}] }
              other:  { destinations: [{{other.Url}}] }
            """);

        async Task<string> Get(string? forwardedFor, string? cookie)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            if (forwardedFor is not null)
            {
                request.Headers.Add("X-Forwarded-For", forwardedFor);
            }

            if (cookie is not null)
            {
                request.Headers.Add("Cookie", cookie);
            }

            var response = await proxy.Client.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync(ct);
        }

        Assert.Equal("office", await Get("203.0.113.9", null));
        Assert.Equal("office", await Get("2001:db8::7", null));
        // The right-most untrusted hop is the client: a forged left-most entry is not.
        Assert.Equal("other", await Get("203.0.113.9, 198.51.100.1", null));
        Assert.Equal("beta", await Get(null, "session=1; variant=beta"));
        Assert.Equal("other", await Get(null, "session=1; variant=Beta"));
        Assert.Equal("other", await Get(null, "variant=beta"));
        Assert.Equal("other", await Get(null, null));

        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        var routes = JsonDocument.Parse(await admin.GetStringAsync("/api/config", ct)).RootElement.GetProperty("routes");
        Assert.Equal("[\"203.0.113.0/24\",\"2001:db8::/32\"]", routes.GetProperty("office").GetProperty("match").GetProperty("clientIps").GetRawText());
        Assert.Equal("{\"variant\":{\"values\":[\"beta\"],\"mode\":\"Exact\"},\"session\":{\"values\":[],\"mode\":\"Exists\"}}", routes.GetProperty("beta").GetProperty("match").GetProperty("cookies").GetRawText());
    }

    [Fact]
    public async Task The_backend_gets_the_class_in_the_route_header_and_a_client_copy_is_replaced()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            admin: { address: "127.0.0.1:0" }
            routes:
              app: { match: { pathPrefix: / }, cluster: app, device: { header: X-Client-Class } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);

        foreach (var (userAgent, spoofed) in new[] { (Pixel, "desktop"), (IPad, null), (WindowsChrome, "bot"), (Googlebot, "mobile") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
            if (spoofed is not null)
            {
                request.Headers.Add("X-Client-Class", spoofed);
            }

            var response = await proxy.Client.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The backend did not say it varies on the class, so neither does the response.
            Assert.Empty(response.Headers.Vary);
        }

        Assert.Equal(["mobile", "tablet", "desktop", "bot"], backend.Requests.Select(r => r.Headers["X-Client-Class"]));
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        var route = JsonDocument.Parse(await admin.GetStringAsync("/api/config", ct)).RootElement.GetProperty("routes").GetProperty("app");
        Assert.Equal("{\"header\":\"X-Client-Class\",\"vary\":false}", route.GetProperty("device").GetRawText());
    }

    [Fact]
    public async Task A_cached_route_that_varies_on_the_class_keeps_one_variant_per_class_and_tells_clients_what_it_varies_on()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("app", ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            ctx.Response.Headers.Vary = "Accept-Language";
            return ctx.Response.WriteAsync("page for " + ctx.Request.Headers["X-Device-Class"]);
        });
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              app: { match: { pathPrefix: / }, cluster: app, cache: {}, device: { vary: true } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);

        async Task<(string Body, string Vary, string CacheStatus)> Get(string userAgent)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/home");
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
            var response = await proxy.Client.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadAsStringAsync(ct), string.Join(", ", response.Headers.Vary), string.Join(",", response.Headers.GetValues("Cache-Status")));
        }

        var first = await Get(IPhone);
        var samePhoneClass = await Get(Pixel);
        var desktop = await Get(WindowsChrome);
        var desktopAgain = await Get(MacSafari);

        Assert.Equal("page for mobile", first.Body);
        Assert.Equal("page for mobile", samePhoneClass.Body);
        Assert.Contains("hit", samePhoneClass.CacheStatus, StringComparison.Ordinal);
        Assert.Equal("page for desktop", desktop.Body);
        Assert.DoesNotContain("hit", desktop.CacheStatus, StringComparison.Ordinal);
        Assert.Equal("page for desktop", desktopAgain.Body);
        Assert.Contains("hit", desktopAgain.CacheStatus, StringComparison.Ordinal);
        Assert.Equal(2, backend.Count);
        // Stored under X-Device-Class; sent to clients as the fields a downstream cache can see.
        foreach (var vary in new[] { first.Vary, samePhoneClass.Vary, desktop.Vary, desktopAgain.Vary })
        {
            Assert.Equal("Accept-Language, User-Agent, Sec-CH-UA-Mobile, Sec-CH-UA-Platform", vary);
        }
    }
}
