using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.Redis;

namespace Portico.IntegrationTests.Redis;

/// <summary>
/// The shared Redis connection against a real redis-server: two instances count each other,
/// the admin API and metrics show the connection, a crash and a stall of Redis are logged once
/// per change of state and recovered from without help, a reload reconnects or disconnects, and
/// without a `redis` section nothing Redis-related runs.
/// </summary>
public sealed class RedisConnectionTests
{
    [Fact]
    public async Task Two_instances_count_each_other_and_the_admin_api_and_metrics_show_the_connection()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var proxies = await SharedProxies.StartAsync(redis, "");

        foreach (var proxy in proxies.Both)
        {
            await Poll.UntilAsync(async () => await RedisView(proxy) is { } view && view.GetProperty("state").GetString() == "connected"
                && view.GetProperty("instances").GetInt64() == 2, "both instances to count two");
        }

        var status = await AdminJson(proxies.A, "/api/status");
        Assert.Equal(redis.Endpoint, status.GetProperty("redis").GetProperty("endpoints")[0].GetString());
        Assert.True(status.GetProperty("redis").GetProperty("shared").GetBoolean());
        Assert.True(status.GetProperty("redis").GetProperty("latencyMs").GetDouble() > 0);
        Assert.Equal(":2", await redis.CommandAsync("ZCARD", "portico:instances"));

        var metrics = await Metrics(proxies.A);
        Assert.Equal(1, metrics.Value("portico_redis_connected"));
        Assert.Equal(0, metrics.Value("portico_redis_breaker_state"));
        Assert.Equal(2, metrics.Value("portico_redis_instances"));
        Assert.True(metrics.Value("portico_redis_command_duration_seconds_count", ("operation", "heartbeat")) > 0, metrics.Text);

        // A graceful stop leaves the count at once, not after three heartbeats.
        await proxies.StopAsync(proxies.B);
        Assert.Equal(":1", await redis.CommandAsync("ZCARD", "portico:instances"));
    }

    [Fact]
    public async Task A_crashed_redis_is_logged_once_and_the_connection_comes_back_by_itself()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var proxy = await TestProxy.StartAsync(SharedProxies.Section(redis));
        await Poll.UntilAsync(async () => (await RedisView(proxy)).GetProperty("state").GetString() == "connected", "connected");

        await redis.KillAsync();
        await Poll.UntilAsync(async () => (await RedisView(proxy)).GetProperty("state").GetString() == "disconnected", "disconnected");
        Assert.False((await RedisView(proxy)).GetProperty("shared").GetBoolean());
        Assert.Equal(0, (await Metrics(proxy)).Value("portico_redis_connected"));

        await redis.RestartAsync();
        await Poll.UntilAsync(async () => (await RedisView(proxy)).GetProperty("state").GetString() == "connected", "connected again");
        await Poll.UntilAsync(async () => await redis.CommandAsync("ZCARD", "portico:instances") == ":1", "the heartbeat to announce the instance to the new server");

        // Logged from the client library's connection events, which may come after its state reads connected.
        await Poll.UntilAsync(() => proxy.Logs.Messages(8002).Count() >= 2, "the reconnection to be logged");
        Assert.Single(proxy.Logs.Messages(8003));
        Assert.Equal(2, proxy.Logs.Messages(8002).Count());
        Assert.Empty(proxy.Logs.Messages(8004));
    }

    [Fact]
    public async Task A_stalled_redis_opens_the_breaker_once_and_a_probe_closes_it_when_redis_answers_again()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var proxy = await TestProxy.StartAsync(SharedProxies.Section(redis, "  breakAfter: 2\n"));
        await Poll.UntilAsync(async () => (await RedisView(proxy)).GetProperty("state").GetString() == "connected", "connected");

        await redis.PauseAsync();
        try
        {
            await Poll.UntilAsync(async () => (await RedisView(proxy)).GetProperty("state").GetString() == "breaker-open", "the breaker to open");
            var connection = proxy.Services.GetRequiredService<RedisConnection>();
            Assert.False(connection.Available);
            var refused = await connection.RunAsync("test", db => db.PingAsync());
            Assert.False(refused.Ok);
            var metrics = await Metrics(proxy);
            Assert.Equal(2, metrics.Value("portico_redis_breaker_state"));
            Assert.True(metrics.Value("portico_redis_errors_total", ("kind", "timeout")) >= 2, metrics.Text);
        }
        finally
        {
            await redis.ResumeAsync();
        }

        await Poll.UntilAsync(async () => (await RedisView(proxy)).GetProperty("state").GetString() == "connected", "the breaker to close");

        // The probe that closes the breaker logs it just after the state changes, so the state can
        // be read between the two (a CI run did).
        await Poll.UntilAsync(() => proxy.Logs.Messages(8005).Any(), "the breaker's closing to be logged");
        Assert.Single(proxy.Logs.Messages(8004));
        Assert.Single(proxy.Logs.Messages(8005));
        Assert.Contains("timeout", proxy.Logs.Messages(8004).Single());
    }

    [Fact]
    public async Task A_reload_that_changes_the_section_reconnects_and_one_that_removes_it_disconnects()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var proxy = await TestProxy.StartAsync(SharedProxies.Section(redis));
        await Poll.UntilAsync(async () => await redis.CommandAsync("ZCARD", "portico:instances") == ":1", "the first heartbeat");

        // Prefix and database are read per command: the same connection serves them.
        Assert.True((await proxy.RewriteConfigAsync(SharedProxies.Section(redis, "  keyPrefix: \"edge:\"\n  database: 3\n"))).Applied);
        await Poll.UntilAsync(async () => (await redis.CommandAsync("EVAL", "redis.call('SELECT', 3) return redis.call('ZCARD', 'edge:instances')", "0")) == ":1", "a heartbeat under the new prefix in database 3");
        Assert.Empty(proxy.Logs.Messages(8006));

        Assert.True((await proxy.RewriteConfigAsync(SharedProxies.Section(redis, "  keyPrefix: \"edge:\"\n  database: 3\n  connectTimeout: 2s\n"))).Applied);
        Assert.Single(proxy.Logs.Messages(8006));
        await Poll.UntilAsync(async () => (await RedisView(proxy)).GetProperty("state").GetString() == "connected", "connected again");

        Assert.True((await proxy.RewriteConfigAsync("")).Applied);
        Assert.Single(proxy.Logs.Messages(8007));
        Assert.False((await RedisView(proxy)).GetProperty("configured").GetBoolean());
        Assert.False(proxy.Services.GetRequiredService<RedisConnection>().Configured);
    }

    [Fact]
    public async Task A_message_published_by_one_instance_reaches_the_others_also_after_redis_restarts()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var proxies = await SharedProxies.StartAsync(redis, "");
        var a = proxies.A.Services.GetRequiredService<RedisConnection>();
        var b = proxies.B.Services.GetRequiredService<RedisConnection>();
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var subscription = b.Subscribe("test", received.Enqueue);
        await Poll.UntilAsync(async () => await a.PublishAsync("test", "ping") > 0, "B's subscription to be in place");
        await Poll.UntilAsync(() => received.Contains("ping"), "B to receive ping");

        await redis.KillAsync();
        Assert.Null(await a.PublishAsync("test", "lost"));
        await redis.RestartAsync();
        await Poll.UntilAsync(async () => await a.PublishAsync("test", "again") > 0, "B to subscribe again after the restart");
        await Poll.UntilAsync(() => received.Contains("again"), "B to receive again");
        Assert.DoesNotContain("lost", received);
    }

    [Fact]
    public async Task Without_a_redis_section_nothing_connects_and_no_redis_metric_is_shown()
    {
        await using var proxy = await TestProxy.StartAsync("");

        Assert.False((await RedisView(proxy)).GetProperty("configured").GetBoolean());
        Assert.False(proxy.Services.GetRequiredService<RedisConnection>().Configured);
        Assert.DoesNotContain("portico_redis_", (await Metrics(proxy)).Text, StringComparison.Ordinal);
        Assert.DoesNotContain(proxy.Logs.Lines, l => l.EventId is >= 8000 and < 8100);
    }

    private static async Task<JsonElement> RedisView(TestProxy proxy) => await AdminJson(proxy, "/api/redis");

    private static async Task<JsonElement> AdminJson(TestProxy proxy, string path)
    {
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        return JsonDocument.Parse(await admin.GetStringAsync(path)).RootElement.Clone();
    }

    private static async Task<PrometheusText> Metrics(TestProxy proxy)
    {
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        return new PrometheusText(await admin.GetStringAsync("/metrics"));
    }
}
