using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.RateLimiting;

namespace Portico.Tests.RateLimiting;

/// <summary>
/// Exact counts within one window. System.Threading.RateLimiting refills on its own clock (a
/// FakeTimeProvider cannot drive it), so windows here are an hour long and refills are shown by
/// the integration tests' short-window case.
/// </summary>
public sealed class MemoryRateLimitStoreTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Each_key_gets_exactly_the_limit_and_remaining_counts_down(bool slidingWindow)
    {
        var algorithm = slidingWindow ? RateLimitAlgorithm.SlidingWindow : RateLimitAlgorithm.TokenBucket;
        var policy = new RateLimitSettings { Name = "p", Algorithm = algorithm, Limit = 3, Window = Hour };
        using var store = Store(policy);

        var a = await Take(store, policy, "a", 4);
        var b = await Take(store, policy, "b", 2);

        Assert.Equal(new[] { (true, 2L), (true, 1L), (true, 0L), (false, 0L) }, a.Select(d => (d.Allowed, d.Remaining)));
        Assert.Equal(new[] { (true, 2L), (true, 1L) }, b.Select(d => (d.Allowed, d.Remaining)));
    }

    [Fact]
    public async Task A_token_bucket_reports_the_time_to_refill_what_was_taken()
    {
        var policy = new RateLimitSettings { Name = "p", Limit = 4, TokensPerPeriod = 2, Window = TimeSpan.FromMinutes(1) };
        using var store = Store(policy);

        var decisions = await Take(store, policy, "k", 5);

        Assert.Equal(new[] { 60.0, 60, 120, 120 }, decisions.Take(4).Select(d => d.Reset.TotalSeconds));
        Assert.False(decisions[4].Allowed);
        Assert.InRange(decisions[4].RetryAfter.TotalSeconds, 1, 60);
    }

    [Fact]
    public async Task A_reload_keeps_the_counters_of_an_unchanged_policy_and_drops_removed_ones()
    {
        var policy = new RateLimitSettings { Name = "p", Limit = 2, Window = Hour };
        var config = Config(policy);
        using var store = new MemoryRateLimitStore(config);
        await Take(store, policy, "k", 2);

        config.Set(Snapshot(policy with { }, revision: 2));
        Assert.False((await store.AcquireAsync(policy, "k", CancellationToken.None)).Allowed);

        // Pruning happens on the first request after a reload.
        config.Set(Snapshot(null, revision: 3));
        await store.AcquireAsync(policy with { Name = "other" }, "x", CancellationToken.None);
        config.Set(Snapshot(policy, revision: 4));
        Assert.True((await store.AcquireAsync(policy, "k", CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task A_reload_during_a_Redis_outage_keeps_the_fallback_counts_of_a_policy_still_in_use()
    {
        // The fallback (the limit divided by two instances) is in no route; a reload pruned it
        // and every client got a fresh quota in the middle of the outage.
        var policy = new RateLimitSettings { Name = "p", Limit = 4, Window = Hour };
        var fallback = policy with { Limit = 2 };
        var config = Config(policy);
        using var store = new MemoryRateLimitStore(config);
        for (var i = 0; i < 2; i++)
        {
            Assert.True((await store.AcquireFallbackAsync(policy, fallback, "k")).Allowed);
        }

        config.Set(Snapshot(policy with { }, revision: 2));
        Assert.False((await store.AcquireFallbackAsync(policy, fallback, "k")).Allowed);

        // A route whose policy is gone takes its fallback counts with it.
        config.Set(Snapshot(null, revision: 3));
        await store.AcquireAsync(policy with { Name = "other" }, "x", CancellationToken.None);
        Assert.True((await store.AcquireFallbackAsync(policy, fallback, "k")).Allowed);
    }

    [Fact]
    public async Task A_policy_pruned_while_requests_use_it_fails_none_of_them()
    {
        // A shared store's fallback policy (the route's limit divided by the instance count) is
        // in no route, so every prune disposes its limiters, also under a request using them.
        var policy = new RateLimitSettings { Name = "p", Limit = 1_000_000, Window = Hour };
        var fallback = policy with { Limit = 500_000 };
        var config = Config(policy);
        using var store = new MemoryRateLimitStore(config);
        var done = 0;
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 20_000; i++)
                {
                    Assert.True((await store.AcquireAsync(fallback, $"k{w}", CancellationToken.None)).Allowed);
                }
            }
            finally
            {
                Interlocked.Increment(ref done);
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        for (var revision = 2; Volatile.Read(ref done) < workers.Length && revision < 1_000_000; revision++)
        {
            config.Set(Snapshot(policy, revision));
            await store.AcquireAsync(policy, "reloader", CancellationToken.None);
        }

        await Task.WhenAll(workers);
    }

    [Fact]
    public void A_claim_key_reads_whatever_the_authenticated_user_holds_and_falls_back_to_the_address()
    {
        var spec = new RateLimitKeySpec(RateLimitKeyKind.Claim, "sub");
        var signedIn = new DefaultHttpContext { User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "user-42")], "test")) };
        var anonymous = new DefaultHttpContext { RequestServices = new ServiceCollection().AddSingleton(new ActiveConfig()).BuildServiceProvider() };
        anonymous.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("192.0.2.9");

        Assert.Equal("claim:user-42", RateLimitKeys.Of(signedIn, spec));
        Assert.Equal("ip:192.0.2.9", RateLimitKeys.Of(anonymous, spec));
    }

    private static MemoryRateLimitStore Store(RateLimitSettings policy) => new(Config(policy));

    private static ActiveConfig Config(RateLimitSettings policy)
    {
        var config = new ActiveConfig();
        config.Set(Snapshot(policy, revision: 1));
        return config;
    }

    private static ConfigSnapshot Snapshot(RateLimitSettings? policy, int revision) => new(new PorticoSettings
    {
        Listeners = [],
        Proxy = new ProxySettings(),
        Clusters = [],
        Routes = [new RouteSettings { Id = "r", Match = new RouteMatchSettings(), Cluster = "c", RateLimit = policy }],
    }, "test", revision);

    private static async Task<RateLimitDecision[]> Take(IRateLimitStore store, RateLimitSettings policy, string key, int count)
    {
        var results = new RateLimitDecision[count];
        for (var i = 0; i < count; i++)
        {
            results[i] = await store.AcquireAsync(policy, key, CancellationToken.None);
        }

        return results;
    }
}
