using Microsoft.Extensions.DependencyInjection;
using Portico.Redis;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// Two Portico instances (<see cref="TestProxy"/> twice, each with its own listener and admin
/// port) from one config plus a `redis` section naming <paramref name="redis"/>: several
/// instances as one, as an operator deploys them behind an L4 balancer.
/// </summary>
internal sealed class SharedProxies(TestProxy a, TestProxy b) : IAsyncDisposable
{
    public TestProxy A { get; } = a;

    public TestProxy B { get; } = b;

    public IEnumerable<TestProxy> Both => [A, B];

    public static async Task<SharedProxies> StartAsync(RedisServer redis, string yaml, bool? fastPath = null, string redisExtra = "")
    {
        var config = yaml + "\n" + Section(redis, redisExtra);
        var a = await TestProxy.StartAsync(config, fastPath);
        SharedProxies proxies;
        try
        {
            proxies = new SharedProxies(a, await TestProxy.StartAsync(config, fastPath));
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }

        // Both connected before the test's first request: what an instance would write to Redis
        // before it connects is not written (Redis away is a miss, never a wait), so a test that
        // stores and then looks in Redis raced the connection (a fresh-clone CI run lost that race).
        try
        {
            await Poll.UntilAsync(() => proxies.Both.All(p => p.Services.GetRequiredService<RedisConnection>().Available), "both instances connected to Redis");
        }
        catch
        {
            await proxies.DisposeAsync();
            throw;
        }

        return proxies;
    }

    /// <summary>The `redis` section for <paramref name="redis"/>, with short heartbeat and breaker times so tests see changes quickly.</summary>
    public static string Section(RedisServer redis, string extra = "")
        => $"redis:\n  endpoints: [\"{redis.Endpoint}\"]\n  heartbeat: 200ms\n  breakFor: 300ms\n  operationTimeout: 500ms\n"
            + (redis.Password is null ? "" : $"  password: {redis.Password}\n") + extra;

    private readonly HashSet<TestProxy> _stopped = [];

    /// <summary>Stops one instance gracefully (SIGTERM's path) before the test ends.</summary>
    public async Task StopAsync(TestProxy proxy)
    {
        if (_stopped.Add(proxy))
        {
            await proxy.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(A);
        await StopAsync(B);
    }
}
