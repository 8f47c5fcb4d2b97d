using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.RateLimiting;

/// <summary>
/// A route's rate limit on a proxy with and one without the fast path: the same counts, fields,
/// 429 page, log line and metrics, forwarded requests and cache hits alike; the fast path's
/// counter shows which path served. Each request goes on a new connection, where the fast path
/// may take it.
/// </summary>
public sealed class RateLimitBothPathsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_limit_of_three_forwards_three_and_refuses_the_rest_with_the_same_answer(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            headers: { response: { set: { X-Frame-Options: DENY } } }
            routes:
              api: { match: { pathPrefix: /api }, cluster: app, rateLimit: { limit: 3, window: 1h } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """, fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests", "portico.ratelimit.");

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await NewConnection.GetAsync(proxy, "/api/x"));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], answers.Select(a => a.StatusCode));
        Assert.Equal(["r=2", "r=1", "r=0", "r=0", "r=0"], answers.Select(a => Assert.Single(a.Headers.GetValues("RateLimit")).Split(';')[1]));
        foreach (var answer in answers)
        {
            Assert.Equal("\"api\";q=3;w=3600", Assert.Single(answer.Headers.GetValues("RateLimit-Policy")));
            Assert.Equal("DENY", Assert.Single(answer.Headers.GetValues("X-Frame-Options")));
        }

        var refused = answers[3];
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 3600);
        Assert.Equal("no-store", refused.Headers.CacheControl!.ToString());
        Assert.Equal(refused.Content.Headers.ContentLength, (await refused.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).Length);
        Assert.Contains("Too many requests; retry later.", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(3, backend.Count);

        await counters.AssertFastPathServedAsync(fastPath ? 5 : 0);
        Assert.Equal(3, counters.Value("portico.ratelimit.decisions", ("outcome", "allowed")));
        Assert.Equal(2, counters.Value("portico.ratelimit.decisions", ("outcome", "limited")));
        Assert.Equal(2, proxy.Logs.Messages(3002).Count(m => m.Contains("with 429: route 'api' rate limit", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_cache_hit_is_counted_once_and_a_refused_request_is_no_hit(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("app", ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            return ctx.Response.WriteAsync("stored", TestContext.Current.CancellationToken);
        });
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              cached: { match: { pathPrefix: /cached }, cluster: app, cache: {}, rateLimit: { limit: 2, window: 1h } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """, fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        // The miss, the hit and the refusal are each counted once, on either path.
        using var miss = await NewConnection.GetAsync(proxy, "/cached/a");
        using var hit = await NewConnection.GetAsync(proxy, "/cached/a");
        using var refused = await NewConnection.GetAsync(proxy, "/cached/a");

        Assert.Equal("r=1", Assert.Single(miss.Headers.GetValues("RateLimit")).Split(';')[1]);
        Assert.Contains("hit", Assert.Single(hit.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        Assert.Equal("r=0", Assert.Single(hit.Headers.GetValues("RateLimit")).Split(';')[1]);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Cache-Status"));
        Assert.Equal(1, backend.Count);
        await counters.AssertFastPathServedAsync(fastPath ? 3 : 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_header_key_counts_each_value_apart(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api: { match: { pathPrefix: / }, cluster: app, rateLimit: { limit: 1, window: 1h, key: "header:X-Tenant" } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """, fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        var statuses = new List<HttpStatusCode>();
        foreach (var tenant in new[] { "a", "b", "a", "b" })
        {
            using var response = await NewConnection.GetAsync(proxy, "/", ("X-Tenant", tenant));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        await counters.AssertFastPathServedAsync(fastPath ? 4 : 0);
    }
}
