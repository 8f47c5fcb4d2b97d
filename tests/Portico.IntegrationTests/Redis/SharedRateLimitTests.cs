using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.IntegrationTests.Infrastructure;
using Portico.Redis;

namespace Portico.IntegrationTests.Redis;

/// <summary>
/// Rate limits counted in Redis for two instances together: the limit holds across them within
/// the documented batch error, Redis is asked per batch rather than per request, a Redis killed
/// under load fails no client request (each instance counts alone meanwhile, with the limit
/// divided by the instance count), and shared counting resumes by itself.
/// </summary>
public sealed class SharedRateLimitTests
{
    [Theory]
    [InlineData("token-bucket")]
    [InlineData("sliding-window")]
    public async Task A_limit_holds_for_two_instances_together_and_redis_is_asked_per_batch(string algorithm)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend, $"algorithm: {algorithm}, limit: 100, window: 1h"));
        await InstancesAsync(proxies, 2);
        var ct = TestContext.Current.CancellationToken;

        var allowed = 0;
        for (var i = 0; i < 300; i++)
        {
            var response = await (i % 2 == 0 ? proxies.A : proxies.B).Client.GetAsync("/api", ct);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, response.StatusCode.ToString());
            allowed += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        // Both instances used every permit they took, so the count is exact here.
        Assert.Equal(100, allowed);
        Assert.Equal(100, backend.Count);
        var batches = await CounterAsync(proxies.A, "portico_ratelimit_redis_batches_total") + await CounterAsync(proxies.B, "portico_ratelimit_redis_batches_total");
        // A batch is 100 / (10 × 2) = 5 permits: about 20 batches, and the refusals' few, not 300 calls.
        Assert.InRange(batches, 20, 60);
        Assert.Equal(100, await CounterAsync(proxies.A, "portico_ratelimit_decisions_total", ("mode", "shared"), ("outcome", "allowed"))
            + await CounterAsync(proxies.B, "portico_ratelimit_decisions_total", ("mode", "shared"), ("outcome", "allowed")));
    }

    [Fact]
    public async Task A_batch_one_instance_holds_unused_refuses_at_most_instances_times_batch_early()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend, "limit: 100, window: 1h"));
        await InstancesAsync(proxies, 2);
        var ct = TestContext.Current.CancellationToken;

        // A takes a batch of 5 and uses one; then only B's clients come.
        Assert.Equal(HttpStatusCode.OK, (await proxies.A.Client.GetAsync("/api", ct)).StatusCode);
        var allowed = 1;
        for (var i = 0; i < 200; i++)
        {
            allowed += (await proxies.B.Client.GetAsync("/api", ct)).StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.Equal(96, allowed);
        Assert.InRange(allowed, 100 - (2 * 5), 100);
    }

    [Fact]
    public async Task While_redis_is_away_each_instance_allows_the_limit_divided_by_the_instance_count_and_sharing_resumes()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend, "limit: 20, window: 1h"));
        await InstancesAsync(proxies, 2);
        var ct = TestContext.Current.CancellationToken;
        var a = proxies.A.Services.GetRequiredService<RedisConnection>();

        await redis.KillAsync();
        await Poll.UntilAsync(() => !a.Available, "A to see Redis gone");
        var allowed = 0;
        for (var i = 0; i < 30; i++)
        {
            allowed += (await proxies.A.Client.GetAsync("/api", ct)).StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.Equal(10, allowed);
        Assert.Equal("rate limits: Redis is not available, counting per instance with each limit divided by 2 instance(s) until it is", proxies.A.Logs.Messages(8050).Single());

        await redis.RestartAsync();
        await Poll.UntilAsync(() => a.Available, "A to see Redis back");
        Assert.Equal(HttpStatusCode.OK, (await proxies.A.Client.GetAsync("/api", ct)).StatusCode);
        Assert.Single(proxies.A.Logs.Messages(8051));
        Assert.Equal(":1", await redis.CommandAsync("EXISTS", "portico:rl:tb:api:ip:127.0.0.1"));
    }

    [Fact]
    public async Task Redis_killed_and_restarted_under_load_on_two_instances_fails_no_request()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend, "limit: 100000, window: 1s"));
        await InstancesAsync(proxies, 2);
        // Far more than this load sends, also halved per instance while Redis is away (4 workers
        // sent over 3,000 a second on a quiet machine, past a limit of 2,000): a refusal here
        // would be the limit's, not a failure. Batches of 1,000, the most one call takes.

        var sent = 0;
        var faults = redis.OutageAsync(() => Volatile.Read(ref sent), killAt: 400, restartAt: 1200);
        var result = await Load.RunAsync(3000, 4, TimeSpan.FromSeconds(90), async i =>
        {
            using var response = await (i % 2 == 0 ? proxies.A : proxies.B).Client.GetAsync("/api");
            Interlocked.Increment(ref sent);
            return response.StatusCode == HttpStatusCode.OK ? true
                : throw new HttpRequestException($"{(int)response.StatusCode} {response.Headers} {await response.Content.ReadAsStringAsync()}");
        });
        await faults;

        // A 500 says only that something threw: the proxies' error logs say what.
        Assert.True(result.Failed == 0, $"{result.Failed} failed: {string.Join("; ", result.SampleFailures)}\n"
            + string.Join("\n", proxies.Both.SelectMany(p => p.Logs.Lines).Where(l => l.Level >= LogLevel.Error).Select(l => $"{l.Category} {l.EventId} {l.Message} {l.Exception}")));
        Assert.Equal(3000, result.Ok);
        foreach (var proxy in proxies.Both)
        {
            var connection = proxy.Services.GetRequiredService<RedisConnection>();
            await Poll.UntilAsync(() => connection.Available, "Redis available again");
            await Poll.UntilAsync(async () => (await proxy.Client.GetAsync("/api")).StatusCode == HttpStatusCode.OK && proxy.Logs.Messages(8051).Any(),
                $"shared counting to resume ({connection.Breaker}, {connection.Connected}): " + string.Join("\n", proxy.Logs.Lines.Where(l => l.EventId >= 8000).Select(l => $"{l.EventId} {l.Message}")));
            // Once each way per outage, never per request: the switch is logged as it happens,
            // lost and back in turn, ending back. The outage here is one; a command that timed out
            // on a loaded machine is a short one of its own, so a second pair is allowed, not more.
            var switches = proxy.Logs.Lines.Where(l => l.EventId is 8050 or 8051).Select(l => l.EventId).ToList();
            Assert.True(switches.Count is 2 or 4 && switches.Select((id, i) => id == (i % 2 == 0 ? 8050 : 8051)).All(x => x),
                "lost and back in turn: " + string.Join(", ", switches));
            Assert.True(await CounterAsync(proxy, "portico_ratelimit_decisions_total", ("mode", "fallback"), ("outcome", "allowed")) > 0);
        }

        await Poll.UntilAsync(async () => (await proxies.A.Client.GetAsync("/api")).IsSuccessStatusCode
            && await redis.CommandAsync("EXISTS", "portico:rl:tb:api:ip:127.0.0.1") == ":1", "the restarted Redis to count again");
    }

    [Fact]
    public async Task Only_an_answer_from_redis_ends_per_instance_counting_not_permits_held_from_before()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend, "limit: 100, window: 1h, key: 'header:X-K'"));
        await InstancesAsync(proxies, 2);
        var a = proxies.A;

        // Client "held" takes a batch (100 / (10 × 2) = 5 permits) and uses one.
        Assert.Equal(HttpStatusCode.OK, await GetAsync(a, "held"));
        // Redis refuses the script on client "refused"'s counter (WRONGTYPE: it is no hash), one
        // failure, too few to open the breaker: A counts alone from here.
        Assert.Equal("+OK", await redis.CommandAsync("SET", "portico:rl:tb:api:header:refused", "not a bucket"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(a, "refused"));
        Assert.Single(a.Logs.Messages(8050));

        // Permits taken before the failure say nothing of Redis.
        Assert.Equal(HttpStatusCode.OK, await GetAsync(a, "held"));
        Assert.Empty(a.Logs.Messages(8051));

        // A batch Redis gives does.
        Assert.Equal(HttpStatusCode.OK, await GetAsync(a, "fresh"));
        Assert.Single(a.Logs.Messages(8051));
        Assert.Single(a.Logs.Messages(8050));
    }

    [Fact]
    public async Task A_server_that_lost_its_scripts_on_a_kept_connection_fails_no_request()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend, "limit: 20, window: 100ms"));
        await InstancesAsync(proxies, 2);
        var ct = TestContext.Current.CancellationToken;

        for (var round = 0; round < 20; round++)
        {
            Assert.Equal("+OK", await redis.CommandAsync("SCRIPT", "FLUSH"));
            for (var i = 0; i < 10; i++)
            {
                var response = await (i % 2 == 0 ? proxies.A : proxies.B).Client.GetAsync("/api", ct);
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests,
                    $"{(int)response.StatusCode}\n" + string.Join("\n", proxies.Both.SelectMany(p => p.Logs.Lines).Where(l => l.Level >= LogLevel.Warning).Select(l => $"{l.Category} {l.EventId} {l.Message} {l.Exception}")));
            }
        }

        Assert.Empty(proxies.Both.SelectMany(p => p.Logs.Messages(8050)));
    }

    private static string Config(TestBackend backend, string rateLimit) => $$"""
        routes:
          api: { match: { pathPrefix: / }, cluster: app, rateLimit: { {{rateLimit}} } }
        clusters:
          app: { destinations: [{{backend.Url}}] }
        """;

    private static async Task<HttpStatusCode> GetAsync(TestProxy proxy, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api") { Headers = { { "X-K", key } } };
        using var response = await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static Task InstancesAsync(SharedProxies proxies, long count)
        => Poll.UntilAsync(() => proxies.Both.All(p => p.Services.GetRequiredService<RedisConnection>() is { Available: true } c && c.Instances == count), $"{count} instances counted");

    private static async Task<double> CounterAsync(TestProxy proxy, string name, params (string Key, string Value)[] labels)
    {
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        return new PrometheusText(await admin.GetStringAsync("/metrics")).Value(name, labels) ?? 0;
    }
}
