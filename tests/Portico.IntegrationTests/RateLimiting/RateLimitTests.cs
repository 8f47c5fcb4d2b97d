using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.RateLimiting;

/// <summary>Per-route rate limits with exact counts inside one (long) window; nothing over the limit is forwarded.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task A_token_bucket_allows_exactly_its_size_then_answers_429_with_the_draft_headers()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api: { match: { pathPrefix: /api }, cluster: app, rateLimit: { limit: 3, window: 1h } }
              free: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;

        var remaining = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var ok = await proxy.Client.GetAsync("/api/x", ct);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("\"api\";q=3;w=3600", ok.Headers.GetValues("RateLimit-Policy").Single());
            remaining.Add(ok.Headers.GetValues("RateLimit").Single().Split(';')[1]);
        }

        var refused = await proxy.Client.GetAsync("/api/x", ct);
        var refusedAgain = await proxy.Client.GetAsync("/api/y", ct);

        Assert.Equal(["r=2", "r=1", "r=0"], remaining);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refusedAgain.StatusCode);
        var retryAfter = refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
        Assert.InRange(retryAfter, 1, 3600);
        Assert.Equal("\"api\";q=3;w=3600", refused.Headers.GetValues("RateLimit-Policy").Single());
        Assert.StartsWith("\"api\";r=0;t=", refused.Headers.GetValues("RateLimit").Single());
        Assert.Equal(3, backend.Count);

        // Other routes are not limited.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync("/other", ct)).StatusCode);
        }
    }

    [Fact]
    public async Task A_short_window_refills_and_the_client_is_served_again()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api: { match: { pathPrefix: / }, cluster: app, rateLimit: { algorithm: sliding-window, limit: 1, window: 1s, segments: 1 } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync("/", ct)).StatusCode);
        var refused = await proxy.Client.GetAsync("/", ct);
        if (refused.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Assert.Equal(1, refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
        }

        var servedAgain = false;
        await Poll.UntilAsync(async () => servedAgain = (await proxy.Client.GetAsync("/", ct)).StatusCode == HttpStatusCode.OK, "the window to move on");
        Assert.True(servedAgain);
    }

    [Fact]
    public async Task A_sliding_window_keyed_by_a_header_counts_each_key_apart()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api: { match: { pathPrefix: / }, cluster: app, rateLimit: { algorithm: sliding-window, limit: 2, window: 1h, segments: 4, key: "header:X-User" } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;

        async Task<int> As(string? user)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            if (user is not null)
            {
                request.Headers.Add("X-User", user);
            }

            return (int)(await proxy.Client.SendAsync(request, ct)).StatusCode;
        }

        var alice = new[] { await As("alice"), await As("alice"), await As("alice") };
        var bob = new[] { await As("bob"), await As("bob"), await As("bob") };
        var anonymous = new[] { await As(null), await As(null), await As(null) };

        Assert.Equal([200, 200, 429], alice);
        Assert.Equal([200, 200, 429], bob);
        Assert.Equal([200, 200, 429], anonymous);
        Assert.Equal(6, backend.Count);
    }

    [Fact]
    public async Task An_api_key_limit_counts_the_key_whichever_header_carries_it_and_survives_a_reload()
    {
        await using var backend = await TestBackend.StartAsync("app");
        var config = $$"""
            routes:
              api: { match: { pathPrefix: / }, cluster: app, rateLimit: { limit: 2, window: 1h, key: api-key } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """;
        await using var proxy = await TestProxy.StartAsync(config);
        var ct = TestContext.Current.CancellationToken;

        async Task<int> With(string header, string value)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.TryAddWithoutValidation(header, value);
            return (int)(await proxy.Client.SendAsync(request, ct)).StatusCode;
        }

        Assert.Equal(200, await With("X-Api-Key", "k1"));
        Assert.Equal(200, await With("Authorization", "Bearer k1"));
        var outcome = await proxy.RewriteConfigAsync(config + "\n# unrelated edit\n");
        Assert.True(outcome.Applied);
        Assert.Equal(429, await With("X-Api-Key", "k1"));
        Assert.Equal(200, await With("X-Api-Key", "k2"));
        Assert.Equal(2 + 1, backend.Count);
    }
}
