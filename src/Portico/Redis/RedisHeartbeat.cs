using Portico.Configuration.Model;
using StackExchange.Redis;

namespace Portico.Redis;

/// <summary>
/// Counts the live instances sharing the server: each announces itself every `heartbeat` in one
/// sorted set, scored by when its announcement expires (three heartbeats on), and the set is
/// counted after the expired are dropped. The time is the server's (TIME in the script), so
/// instances with skewed clocks still agree. The last count is kept through an outage: it is
/// what rate limits divide by while Redis is away.
/// </summary>
internal sealed class RedisHeartbeat(RedisConnection connection, RedisLog log, TimeProvider time)
{
    private const string Script = """
        local now = redis.call('TIME')
        local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return redis.call('ZCARD', KEYS[1])
        """;

    // The members whose announcement has not expired by the server's clock.
    private const string LiveScript = """
        local now = redis.call('TIME')
        local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ms, '+inf')
        """;

    private readonly Lock _lock = new();
    private ITimer? _timer;
    private long _instances = 1;
    private long _latencyTicks = -1;
    private int _beating;

    public string InstanceId { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    public long Instances => Interlocked.Read(ref _instances);

    public TimeSpan? Latency => Interlocked.Read(ref _latencyTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>Starts (or re-times, after a reload) the heartbeat; the first one goes at once.</summary>
    public void Start(RedisSettings settings)
    {
        lock (_lock)
        {
            _timer ??= time.CreateTimer(_ => _ = BeatAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(TimeSpan.Zero, settings.Heartbeat);
        }
    }

    public void Stop()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>The names of the live instances (this one among them once it has announced itself); null when Redis could not be asked.</summary>
    public async ValueTask<IReadOnlyList<string>?> LiveAsync()
    {
        var answer = await connection.RunAsync("heartbeat", async db => ((RedisResult[])(await db.ScriptEvaluateAsync(LiveScript, [connection.Key("instances")]))!).Select(r => (string)r!).ToArray());
        return answer.Ok ? answer.Value : null;
    }

    /// <summary>A graceful stop takes this instance out of the count at once rather than after its announcement expires.</summary>
    public async Task LeaveAsync()
    {
        Stop();
        await connection.RunAsync("heartbeat", db => db.SortedSetRemoveAsync(connection.Key("instances"), InstanceId));
    }

    private async Task BeatAsync()
    {
        // A beat still waiting on a slow server is not doubled by the next tick.
        if (Interlocked.Exchange(ref _beating, 1) == 1 || connection.Settings is not { } settings)
        {
            return;
        }

        try
        {
            var ttl = (long)(settings.Heartbeat.TotalMilliseconds * 3);
            var started = time.GetTimestamp();
            // The count is read inside the command, so a reply that is not one is a failed beat.
            var answer = await connection.RunAsync("heartbeat", async db => (long)await db.ScriptEvaluateAsync(Script, [connection.Key("instances")], [InstanceId, ttl]));
            if (!answer.Ok)
            {
                return;
            }

            Interlocked.Exchange(ref _latencyTicks, time.GetElapsedTime(started).Ticks);
            var count = Math.Max(1, answer.Value);
            if (Interlocked.Exchange(ref _instances, count) != count)
            {
                log.InstancesChanged(count);
            }
        }
        finally
        {
            Volatile.Write(ref _beating, 0);
        }
    }
}
