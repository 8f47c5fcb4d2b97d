using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Pages;

/// <summary>
/// A route's maintenance: switched on by its config or the admin API (with the admin token), it
/// answers 503 with Retry-After and its page without reaching the backend, except for the client
/// addresses it allows (behind trusted proxies, the address X-Forwarded-For vouches for); an
/// admin switch holds across reloads until turned off or cleared.
/// </summary>
public sealed class MaintenanceTests : IAsyncLifetime
{
    private const string Token = "pages-admin-token-0123456789";
    private TestBackend _backend = null!;

    public async ValueTask InitializeAsync() => _backend = await TestBackend.StartAsync("app");

    public async ValueTask DisposeAsync() => await _backend.DisposeAsync();

    private string Config(string extraRoute = "") => $$"""
        proxy: { trustedProxies: [127.0.0.1] }
        admin: { address: "127.0.0.1:0", token: {{Token}} }
        routes:
          shop:
            match: { pathPrefix: /shop }
            cluster: app
            maintenance:
              enabled: true
              retryAfter: 2m
              allowIps: [10.1.0.0/16]
              page: { body: "<h1>Back soon</h1><p>{route} {client_ip}</p>", template: true }
          api: { match: { pathPrefix: /api }, cluster: app, maintenance: {} }
          plain: { match: { pathPrefix: /plain }, cluster: app }
        {{extraRoute}}
        clusters:
          app: { destinations: [{{_backend.Url}}] }
        """;

    private static HttpClient Admin(TestProxy proxy, string? token = Token)
    {
        var client = new HttpClient { BaseAddress = proxy.AdminAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    [Fact]
    public async Task A_route_in_maintenance_by_config_answers_503_with_Retry_After_and_its_page_the_same_on_both_paths()
    {
        await using var fast = await TestProxy.StartAsync(Config(), fastPath: true);
        await using var full = await TestProxy.StartAsync(Config(), fastPath: false);
        var before = _backend.Count;

        var fromFast = await PageExchange.SendAsync(fast, "/shop/cart");
        var fromFull = await PageExchange.SendAsync(full, "/shop/cart");

        Assert.Equal((503, "<h1>Back soon</h1><p>shop 127.0.0.1</p>", "120"), (fromFull.Status, fromFull.Body, fromFull.Field("Retry-After")));
        Assert.Equal("text/html; charset=utf-8", fromFull.Field("Content-Type"));
        Assert.Equal((fromFull.Status, fromFull.Body), (fromFast.Status, fromFast.Body));
        Assert.Equal(fromFull.Fields.OrderBy(f => f.Key), fromFast.Fields.OrderBy(f => f.Key));
        Assert.Equal(before, _backend.Count);
    }

    [Theory]
    [InlineData("10.1.2.3", 200)]
    [InlineData("10.2.0.1", 503)]
    public async Task Allowed_client_addresses_still_reach_the_backend(string client, int status)
    {
        await using var proxy = await TestProxy.StartAsync(Config());

        var answer = await PageExchange.SendAsync(proxy, "/shop", fields: $"X-Forwarded-For: {client}");

        Assert.Equal(status, answer.Status);
    }

    [Fact]
    public async Task The_admin_API_switches_a_route_with_the_token_and_the_switch_outlives_a_reload()
    {
        await using var proxy = await TestProxy.StartAsync(Config());
        using var admin = Admin(proxy);
        using var anonymous = Admin(proxy, token: null);
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/routes/api/maintenance?enabled=true", null, ct)).StatusCode);
        Assert.Equal(200, (await PageExchange.SendAsync(proxy, "/api")).Status);

        var switched = await admin.PostAsync("/api/routes/api/maintenance?enabled=true", null, ct);
        Assert.Equal(HttpStatusCode.OK, switched.StatusCode);
        var down = await PageExchange.SendAsync(proxy, "/api/items");
        Assert.Equal((503, "300"), (down.Status, down.Field("Retry-After")));
        Assert.Contains("This service is down for maintenance", down.Body, StringComparison.Ordinal);

        using (var routes = JsonDocument.Parse(await admin.GetStringAsync("/api/routes", ct)))
        {
            var maintenance = routes.RootElement.GetProperty("api").GetProperty("maintenance");
            Assert.True(maintenance.GetProperty("enabled").GetBoolean());
            Assert.False(maintenance.GetProperty("configured").GetBoolean());
            Assert.True(maintenance.GetProperty("switched").GetBoolean());
            Assert.Equal(JsonValueKind.Null, routes.RootElement.GetProperty("plain").GetProperty("maintenance").ValueKind);
        }

        using (var stats = JsonDocument.Parse(await admin.GetStringAsync("/api/stats", ct)))
        {
            Assert.True(stats.RootElement.GetProperty("maintenance").GetProperty("api").GetBoolean());
            Assert.False(stats.RootElement.GetProperty("maintenance").TryGetProperty("plain", out _));
        }

        Assert.True((await proxy.RewriteConfigAsync(Config("  other: { match: { pathPrefix: /other }, cluster: app }"))).Applied);
        Assert.Equal(503, (await PageExchange.SendAsync(proxy, "/api")).Status);

        // Off wins over the config's `enabled: true`; clearing hands the route back to its config.
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/routes/api/maintenance?enabled=false", null, ct)).StatusCode);
        Assert.Equal(200, (await PageExchange.SendAsync(proxy, "/api")).Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/routes/shop/maintenance?enabled=false", null, ct)).StatusCode);
        Assert.Equal(200, (await PageExchange.SendAsync(proxy, "/shop")).Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync("/api/routes/shop/maintenance", ct)).StatusCode);
        Assert.Equal(503, (await PageExchange.SendAsync(proxy, "/shop")).Status);
        Assert.Contains("route shop: maintenance switched back to its config (on) by the admin API", proxy.Logs.Messages(7201));
    }

    [Fact]
    public async Task Without_its_own_page_maintenance_serves_the_503_page_the_route_or_the_top_level_gives()
    {
        await using var proxy = await TestProxy.StartAsync($$"""
            errorPages:
              503: { body: "top-level 503", contentType: text/plain }
            routes:
              a: { match: { pathPrefix: /a }, cluster: app, maintenance: { enabled: true } }
              b:
                match: { pathPrefix: /b }
                cluster: app
                maintenance: { enabled: true, retryAfter: 90s }
                errorPages: { 503: { body: "route 503", contentType: text/plain } }
            clusters:
              app: { destinations: [{{_backend.Url}}] }
            """);

        var a = await PageExchange.SendAsync(proxy, "/a");
        var b = await PageExchange.SendAsync(proxy, "/b");

        Assert.Equal((503, "top-level 503", "300"), (a.Status, a.Body, a.Field("Retry-After")));
        Assert.Equal((503, "route 503", "90"), (b.Status, b.Body, b.Field("Retry-After")));
    }

    [Fact]
    public async Task Only_a_route_with_a_maintenance_section_can_be_switched()
    {
        await using var proxy = await TestProxy.StartAsync(Config());
        using var admin = Admin(proxy);
        var ct = TestContext.Current.CancellationToken;

        var plain = await admin.PostAsync("/api/routes/plain/maintenance?enabled=true", null, ct);
        Assert.Equal(HttpStatusCode.Conflict, plain.StatusCode);
        Assert.Contains("route 'plain' has no maintenance section", await plain.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/routes/nope/maintenance?enabled=true", null, ct)).StatusCode);
        Assert.Equal(200, (await PageExchange.SendAsync(proxy, "/plain")).Status);
    }
}
