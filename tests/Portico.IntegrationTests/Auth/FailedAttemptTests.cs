using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>Failed attempts are counted per client with the rate limiter; past the allowance the client is locked out, good credentials included.</summary>
public sealed class FailedAttemptTests
{
    [Fact]
    public async Task Past_the_allowed_failures_a_client_gets_429_even_with_a_good_key_and_other_routes_are_unaffected()
    {
        await using var backend = await TestBackend.StartAsync("app");
        var hash = AuthFiles.Sha256("good");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api: { match: { pathPrefix: /api }, cluster: app, auth: { apiKey: { keys: [{ name: k, sha256: {{hash}} }] }, failedAttempts: { limit: 2, window: 1h } } }
              other: { match: { pathPrefix: /other }, cluster: app, auth: { apiKey: { keys: [{ name: k, sha256: {{hash}} }] } } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        using var counters = new ProxyCounters(proxy, "portico.auth.");
        Task<HttpResponseMessage> Get(string path, string? key) => AuthFiles.GetWithKeyAsync(proxy.Client, path, key);

        var missing = await Get("/api", null);
        var first = await Get("/api", "bad1");
        var second = await Get("/api", "bad2");
        var third = await Get("/api", "bad3");
        var goodWhileLocked = await Get("/api", "good");
        var otherRoute = await Get("/other", "good");

        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.OK],
            new[] { missing, first, second, third, goodWhileLocked, otherRoute }.Select(r => r.StatusCode));
        Assert.InRange(third.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 3600);
        Assert.InRange(goodWhileLocked.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 3600);
        Assert.Equal(1, backend.Count);
        Assert.Contains("127.0.0.1 is locked out of route api", Assert.Single(proxy.Logs.Messages(3303)));
        Assert.Equal(1, counters.Value("portico.auth.requests", ("route", "api"), ("outcome", "refused"), ("reason", "missing"), ("scheme", "none")));
        Assert.Equal(2, counters.Value("portico.auth.requests", ("route", "api"), ("outcome", "refused"), ("reason", "invalid"), ("scheme", "apiKey")));
        Assert.Equal(2, counters.Value("portico.auth.requests", ("route", "api"), ("outcome", "refused"), ("reason", "locked_out")));
        Assert.Equal(1, counters.Value("portico.auth.requests", ("route", "other"), ("outcome", "allowed"), ("scheme", "apiKey")));
    }
}
