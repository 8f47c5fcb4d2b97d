using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Admin;

public sealed class AdminApiTests
{
    private const string Token = "admin-token-0123456789";

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
        => JsonDocument.Parse(await client.GetStringAsync(url, TestContext.Current.CancellationToken)).RootElement;

    private static HttpClient AdminClient(TestProxy proxy, string? token = Token)
    {
        var client = new HttpClient { BaseAddress = proxy.AdminAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    [Fact]
    public async Task Clusters_show_health_and_in_flight_and_a_drained_destination_gets_no_traffic_until_enabled()
    {
        var release = new TaskCompletionSource();
        await using var slow = await TestBackend.StartAsync("slow", async ctx =>
        {
            if (ctx.Request.Path == "/hold")
            {
                await release.Task;
            }

            await ctx.Response.WriteAsync("slow");
        });
        await using var fast = await TestBackend.StartAsync("fast");
        await using var proxy = await TestProxy.StartAsync($"""
            admin: {"{"} address: "127.0.0.1:0", token: {Token} {"}"}
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [{slow.Url}, {fast.Url}] {"}"}
            """);
        using var admin = AdminClient(proxy);
        var ct = TestContext.Current.CancellationToken;

        // Round robin: at most a couple of tries until one /hold lands on the slow backend and stays.
        // A try is judged by where it arrived (the slow backend's count), not by how long it took,
        // so a loaded machine cannot make a quick answer look held.
        Task<string>? held = null;
        for (var attempt = 0; attempt < 4 && held is null; attempt++)
        {
            var sent = proxy.Client.GetStringAsync("/hold", ct);
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!sent.IsCompleted && slow.Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10, ct);
            }

            if (slow.Count > 0)
            {
                held = sent;
            }
            else
            {
                await sent;
            }
        }

        Assert.NotNull(held);
        Assert.Equal(1, slow.Count);
        var clusters = await GetJsonAsync(admin, "/api/clusters");
        var slowRow = clusters.GetProperty("app").GetProperty("destinations").EnumerateArray().Single(d => d.GetProperty("name").GetString() == slow.Address.Authority);
        Assert.Equal(1, slowRow.GetProperty("inFlight").GetInt32());
        Assert.Equal("up", slowRow.GetProperty("state").GetString());
        release.SetResult();
        Assert.Equal("slow", await held);

        var drained = await admin.PostAsync($"/api/clusters/app/destinations/{slow.Address.Authority}/drain", null, ct);
        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        var before = slow.Count;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("fast", await proxy.Client.GetStringAsync("/", ct));
        }

        Assert.Equal(before, slow.Count);
        var state = (await GetJsonAsync(admin, "/api/clusters")).GetProperty("app").GetProperty("destinations").EnumerateArray()
            .Single(d => d.GetProperty("name").GetString() == slow.Address.Authority);
        Assert.Equal("drained", state.GetProperty("state").GetString());

        await admin.PostAsync($"/api/clusters/app/destinations/{slow.Address.Authority}/enable", null, ct);
        var bodies = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            bodies.Add(await proxy.Client.GetStringAsync("/", ct));
        }

        Assert.Contains("slow", bodies);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/clusters/app/destinations/nope/drain", null, ct)).StatusCode);
    }

    [Fact]
    public async Task A_drain_survives_a_reload_that_keeps_the_destination_and_ends_when_a_reload_removes_it()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        string Config(string destinations, int retries) => $"""
            admin: {"{"} address: "127.0.0.1:0", token: {Token} {"}"}
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} retries: {retries}, destinations: [{destinations}] {"}"}
            """;
        await using var proxy = await TestProxy.StartAsync(Config($"{a.Url}, {b.Url}", 0));
        using var admin = AdminClient(proxy);
        var ct = TestContext.Current.CancellationToken;
        async Task<List<string>> FourAsync()
        {
            var bodies = new List<string>();
            for (var i = 0; i < 4; i++)
            {
                bodies.Add(await proxy.Client.GetStringAsync("/", ct));
            }

            return bodies;
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/clusters/app/destinations/{a.Address.Authority}/drain", null, ct)).StatusCode);
        Assert.True((await proxy.RewriteConfigAsync(Config($"{a.Url}, {b.Url}", 1))).Applied);
        Assert.All(await FourAsync(), body => Assert.Equal("b", body));

        Assert.True((await proxy.RewriteConfigAsync(Config(b.Url, 1))).Applied);
        Assert.True((await proxy.RewriteConfigAsync(Config($"{a.Url}, {b.Url}", 1))).Applied);
        Assert.Contains("a", await FourAsync());
    }

    [Fact]
    public async Task The_token_is_required_and_redacted_from_the_running_config()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync($"""
            admin: {"{"} address: "127.0.0.1:0", token: {Token} {"}"}
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """);
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = AdminClient(proxy, token: null);
        using var wrong = AdminClient(proxy, token: "not-the-admin-token");
        using var admin = AdminClient(proxy);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/status", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/metrics", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/status?token={Token}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/stats/stream", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/dashboard.js", ct)).StatusCode);
        var config = await admin.GetStringAsync("/api/config", ct);
        Assert.DoesNotContain(Token, config);
        Assert.Equal("(redacted)", JsonDocument.Parse(config).RootElement.GetProperty("admin").GetProperty("token").GetString());
        Assert.Equal("app", JsonDocument.Parse(config).RootElement.GetProperty("routes").GetProperty("all").GetProperty("cluster").GetString());
    }

    [Fact]
    public async Task Reload_action_reports_errors_and_keeps_serving_and_the_two_listeners_stay_apart()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: /app {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """);
        using var admin = AdminClient(proxy, token: null);
        var ct = TestContext.Current.CancellationToken;

        var ok = await admin.PostAsync("/api/reload", null, ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await ok.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("revision").GetInt32());

        await File.WriteAllTextAsync(proxy.ConfigPath, "listeners: { main: { address: 127.0.0.1:0 } }\nroutes: { all: { cluster: ghost } }\n", ct);
        var refused = await admin.PostAsync("/api/reload", null, ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var errors = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("errors");
        Assert.Equal($"{proxy.ConfigPath}:2: routes.all.cluster: cluster 'ghost' is not defined (none are defined)", errors.EnumerateArray().Single().GetString());
        Assert.Equal("b", await proxy.Client.GetStringAsync("/app", ct));

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/app", ct)).StatusCode);
        Assert.Equal(0, backend.Requests.Count(r => r.PathAndQuery == "/app") - 1);
        var status = await proxy.Client.GetAsync("/api/status", ct);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        Assert.Contains("No route matches", await status.Content.ReadAsStringAsync(ct));
    }

    /// <summary>Issue 22's routing settings in the admin API's route view: a redirect-only route (no cluster), a rewrite and normalize, as the config wrote them.</summary>
    [Fact]
    public async Task The_route_view_shows_redirects_normalize_and_rewrite_as_written()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync($$$"""
            admin: { address: "127.0.0.1:0", token: {{{Token}}} }
            routes:
              gone:
                match: { hosts: [old.example], pathPrefix: / }
                redirects:
                  - { pathRegex: '^/(page/.*)$', to: "https://new.example/{re.1}?via={{route}}", status: 301 }
                  - { path: /about, to: /who, query: drop }
              shop:
                match: { pathPrefix: /shop }
                cluster: app
                normalize: { trailingSlash: add, lowercase: true }
                rewrite: { pathRegex: '^/shop/(\d+)/(?<name>[^/]+)$', path: "/items/{re.name}?id={re.1}", host: internal.example, query: { remove: [utm_source], set: { lang: en }, append: { via: "{route}" } } }
            clusters:
              app: { destinations: [{{{backend.Url}}}] }
            """);
        using var admin = AdminClient(proxy);
        var routes = await GetJsonAsync(admin, "/api/routes");

        var gone = routes.GetProperty("gone");
        Assert.Equal(JsonValueKind.Null, gone.GetProperty("cluster").ValueKind);
        var first = gone.GetProperty("redirects")[0];
        Assert.Equal("^/(page/.*)$", first.GetProperty("pathRegex").GetString());
        Assert.Equal("https://new.example/{re.1}?via={{route}}", first.GetProperty("to").GetString());
        Assert.Equal(301, first.GetProperty("status").GetInt32());
        Assert.Equal("keep", first.GetProperty("query").GetString());
        var second = gone.GetProperty("redirects")[1];
        Assert.Equal("/about", second.GetProperty("path").GetString());
        Assert.Equal(302, second.GetProperty("status").GetInt32());
        Assert.Equal("drop", second.GetProperty("query").GetString());
        Assert.Equal(JsonValueKind.Null, gone.GetProperty("rewrite").ValueKind);

        var shop = routes.GetProperty("shop");
        Assert.Empty(shop.GetProperty("redirects").EnumerateArray());
        Assert.Equal("""{"trailingSlash":"add","lowercase":true,"status":308}""", shop.GetProperty("normalize").GetRawText());
        var rewrite = shop.GetProperty("rewrite");
        Assert.Equal("/items/{re.name}?id={re.1}", rewrite.GetProperty("path").GetString());
        Assert.Equal(@"^/shop/(\d+)/(?<name>[^/]+)$", rewrite.GetProperty("pathRegex").GetString());
        Assert.Equal("internal.example", rewrite.GetProperty("host").GetString());
        Assert.Equal("""{"remove":["utm_source"],"set":{"lang":"en"},"append":{"via":"{route}"}}""", rewrite.GetProperty("query").GetRawText());
    }
}
