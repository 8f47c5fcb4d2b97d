using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Headers;

/// <summary>
/// Header rules the fast path honours (literal routes; values from the request's variables that
/// need no captures), each case run on a proxy with and one without the fast path: the backend
/// sees the same fields, the client gets the same fields on a forwarded answer, a cache hit and
/// Portico's own 502, and the fast path's counter shows which path served.
/// </summary>
public sealed class HeaderRulesBothPathsTests
{
    private static string Config(string backend, int down1, int down2) => $$$"""
        headers:
          request:
            remove: [X-Strip]
            set: { X-Peer: "{client_ip}", X-Level: top }
          response:
            set: { X-Frame-Options: SAMEORIGIN, X-Via-Route: "via {route}" }
        routes:
          app:
            match: { pathPrefix: /app }
            cluster: echo
            headers:
              request: { remove: [X-Private], append: { X-Tags: two }, set: { X-Level: route, X-Meta: "{method} {scheme}://{host} r={route} c={cluster} id={request_id}" } }
              response: { remove: [X-Backend-Internal], append: { Cache-Control: no-transform }, set: { X-Time: "{time_unix}", X-Id: "{request_id}" } }
          cached:
            match: { pathPrefix: /cached }
            cluster: echo
            cache: {}
            headers: { response: { remove: [X-Backend-Internal], set: { X-Id: "{request_id}" } } }
          down: { match: { pathPrefix: /down }, cluster: down }
        clusters:
          echo: { destinations: [{{{backend}}}] }
          down: { retries: 1, destinations: [http://127.0.0.1:{{{down1}}}, http://127.0.0.1:{{{down2}}}] }
        """;

    private static async Task<TestBackend> BackendAsync() => await TestBackend.StartAsync("echo", ctx =>
    {
        ctx.Response.Headers["X-Backend-Internal"] = "yes";
        ctx.Response.Headers.CacheControl = ctx.Request.Path.StartsWithSegments("/cached") ? "public, max-age=60" : "private";
        return ctx.Response.WriteAsync("ok");
    });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Request_and_response_rules_of_a_forwarded_request(bool fastPath)
    {
        await using var backend = await BackendAsync();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, FreePorts.Take(), FreePorts.Take()), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var response = await NewConnection.GetAsync(proxy, "/app/x?q=1", ("X-Private", "p"), ("X-Strip", "gone"), ("X-Tags", "one"), ("X-Kept", "kept"));
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = backend.Requests.Single().Headers;
        var id = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.Equal("route", seen["X-Level"]);
        Assert.Equal("127.0.0.1", seen["X-Peer"]);
        Assert.Equal($"GET http://{proxy.Address.Authority} r=app c=echo id={id}", seen["X-Meta"]);
        Assert.Equal(["one", "two"], seen["X-Tags"].Split(',', StringSplitOptions.TrimEntries));
        Assert.Equal("kept", seen["X-Kept"]);
        Assert.False(seen.ContainsKey("X-Private"));
        Assert.False(seen.ContainsKey("X-Strip"));

        Assert.False(response.Headers.Contains("X-Backend-Internal"));
        Assert.Equal("SAMEORIGIN", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("via app", Assert.Single(response.Headers.GetValues("X-Via-Route")));
        Assert.Equal(id, Assert.Single(response.Headers.GetValues("X-Id")));
        Assert.True(response.Headers.CacheControl is { Private: true, NoTransform: true }, response.Headers.CacheControl?.ToString());
        Assert.InRange(long.Parse(Assert.Single(response.Headers.GetValues("X-Time")), CultureInfo.InvariantCulture), before, after);
        await counters.AssertFastPathServedAsync(fastPath ? 1 : 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_cache_hit_gets_the_response_rules_with_its_own_values(bool fastPath)
    {
        await using var backend = await BackendAsync();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, FreePorts.Take(), FreePorts.Take()), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        using var miss = await NewConnection.GetAsync(proxy, "/cached/a");
        using var hit = await NewConnection.GetAsync(proxy, "/cached/a");

        Assert.Single(backend.Requests);
        Assert.Contains("hit", Assert.Single(hit.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        foreach (var response in new[] { miss, hit })
        {
            Assert.Equal(Assert.Single(response.Headers.GetValues("X-Request-Id")), Assert.Single(response.Headers.GetValues("X-Id")));
            Assert.False(response.Headers.Contains("X-Backend-Internal"));
            Assert.Equal("via cached", Assert.Single(response.Headers.GetValues("X-Via-Route")));
            Assert.True(response.Headers.CacheControl is { Public: true, MaxAge: not null }, response.Headers.CacheControl?.ToString());
        }

        Assert.NotEqual(Assert.Single(miss.Headers.GetValues("X-Id")), Assert.Single(hit.Headers.GetValues("X-Id")));
        await counters.AssertFastPathServedAsync(fastPath ? 2 : 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Porticos_own_502_gets_the_response_rules(bool fastPath)
    {
        await using var backend = await BackendAsync();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, FreePorts.Take(), FreePorts.Take()), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        using var response = await NewConnection.GetAsync(proxy, "/down");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("SAMEORIGIN", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("via down", Assert.Single(response.Headers.GetValues("X-Via-Route")));
        await counters.AssertFastPathServedAsync(fastPath ? 1 : 0);
    }
}
