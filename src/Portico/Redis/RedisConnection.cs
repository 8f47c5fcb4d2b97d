using Microsoft.Extensions.Hosting;
using Portico.Configuration;
using Portico.Configuration.Model;
using StackExchange.Redis;

namespace Portico.Redis;

/// <summary>
/// The one Redis connection every concern shares, and its small API: prefixed keys, commands
/// run under a bounded timeout and the circuit breaker (a failure is an answer, never an
/// exception the request sees), pub/sub, and the live instance count. Without a `redis` section
/// it holds nothing (no connection, no timer) and <see cref="Available"/> is false; a reload
/// that adds, changes or removes the section connects, reconnects or disconnects.
/// </summary>
internal sealed class RedisConnection : IHostedService, IAsyncDisposable
{
    private readonly ActiveConfig _config;
    private readonly RedisLog _log;
    private readonly RedisMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly RedisBreaker _breaker;
    private readonly RedisSubscriptions _subscriptions;
    private readonly RedisHeartbeat _heartbeat;
    private readonly Lock _lock = new();
    private volatile RedisLink? _link;

    public RedisConnection(ActiveConfig config, RedisLog log, RedisMetrics metrics, TimeProvider time)
    {
        _config = config;
        _log = log;
        _metrics = metrics;
        _time = time;
        _breaker = new RedisBreaker(time);
        _subscriptions = new RedisSubscriptions(log);
        _heartbeat = new RedisHeartbeat(this, log, time);
        metrics.Observe(this);
    }

    /// <summary>Whether a `redis` section is serving.</summary>
    public bool Configured => _link is not null;

    /// <summary>Connected right now (the breaker aside).</summary>
    public bool Connected => _link?.Connected == true;

    /// <summary>Whether shared state can be used now: connected and the breaker not open.</summary>
    public bool Available => _link is { Connected: true } && _breaker.State != BreakerState.Open;

    public BreakerState Breaker => _breaker.State;

    /// <summary>Live instances sharing the server as last counted; 1 (this one) before any count.</summary>
    public long Instances => _heartbeat.Instances;

    /// <summary>The last heartbeat's round trip; null before one succeeded.</summary>
    public TimeSpan? Latency => _heartbeat.Latency;

    /// <summary>The names of the live instances sharing the server (heartbeat); null when Redis could not be asked.</summary>
    public ValueTask<IReadOnlyList<string>?> LiveInstancesAsync() => _heartbeat.LiveAsync();

    /// <summary>This instance's name in the heartbeat set.</summary>
    public string InstanceId => _heartbeat.InstanceId;

    /// <summary>The serving section; null without one.</summary>
    public RedisSettings? Settings => _link?.Settings;

    /// <summary>
    /// Completes once the connection's first attempt is over (connected or not), or at once
    /// without a `redis` section: a caller deciding whether Redis is away at start-up waits for
    /// this rather than reading "not connected yet" as an outage.
    /// </summary>
    public async Task ReadyAsync(CancellationToken cancel)
    {
        if (_link is { } link)
        {
            try
            {
                await link.Ready.WaitAsync(cancel);
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException)
            {
                // The attempt ended without a connection: that is the answer the caller waited for.
            }
        }
    }

    /// <summary>The key (or channel) <paramref name="name"/> under the configured `keyPrefix`.</summary>
    public RedisKey Key(string name) => (_link?.Settings.KeyPrefix ?? "") + name;

    /// <summary>
    /// Runs <paramref name="command"/> if shared state is available: within `operationTimeout`,
    /// timed, and counted by the breaker. When it did not run or failed (already logged and
    /// counted, <see cref="RedisAnswer{T}.Ok"/> false); the caller then uses its per-instance state.
    /// </summary>
    public async ValueTask<RedisAnswer<T>> RunAsync<T>(string operation, Func<IDatabase, Task<T>> command)
    {
        if (Enter() is not var (link, multiplexer))
        {
            return default;
        }

        var started = _time.GetTimestamp();
        try
        {
            return Succeeded(operation, started, await command(Database(link, multiplexer)).WaitAsync(link.Settings.OperationTimeout, _time));
        }
        catch (Exception e)
        {
            return Failed<T>(operation, started, link, e);
        }
    }

    /// <summary>
    /// <see cref="RunAsync{T}"/> for a caller that cannot await (a data-protection key
    /// repository): StackExchange.Redis's synchronous call, bounded by the same timeout.
    /// </summary>
    public RedisAnswer<T> Run<T>(string operation, Func<IDatabase, T> command)
    {
        if (Enter() is not var (link, multiplexer))
        {
            return default;
        }

        var started = _time.GetTimestamp();
        try
        {
            return Succeeded(operation, started, command(Database(link, multiplexer)));
        }
        catch (Exception e)
        {
            return Failed<T>(operation, started, link, e);
        }
    }

    private (RedisLink Link, ConnectionMultiplexer Multiplexer)? Enter()
        => _link is { } link && link.Multiplexer is { IsConnected: true } multiplexer && _breaker.TryEnter(link.Settings.BreakFor)
            ? (link, multiplexer)
            : null;

    // Inside the command's try: a reload may dispose this multiplexer between Enter and here.
    private static IDatabase Database(RedisLink link, ConnectionMultiplexer multiplexer) => multiplexer.GetDatabase(link.Settings.Database);

    private RedisAnswer<T> Succeeded<T>(string operation, long started, T value)
    {
        _metrics.Command(operation, _time.GetElapsedTime(started));
        if (_breaker.Succeeded())
        {
            _log.BreakerClosed();
        }

        return new RedisAnswer<T>(true, value);
    }

    // Whatever the client threw, the caller goes on without Redis and the breaker hears of it (a
    // half-open breaker left waiting on an unexpected exception would stay so).
    private RedisAnswer<T> Failed<T>(string operation, long started, RedisLink link, Exception e)
    {
        var kind = Kind(e);
        _metrics.Command(operation, _time.GetElapsedTime(started));
        _metrics.Error(kind);
        if (_breaker.Failed(link.Settings.BreakAfter, out var failures))
        {
            _log.BreakerOpened(failures, link.Settings.BreakFor.TotalSeconds, RedisErrorKinds.Name(kind), e.Message);
        }

        return default;
    }

    /// <summary>Publishes <paramref name="message"/> on the prefixed <paramref name="channel"/>; the number of receivers, or null when not sent.</summary>
    public async ValueTask<long?> PublishAsync(string channel, string message)
    {
        var answer = await RunAsync("publish", db => db.PublishAsync(RedisChannel.Literal(Key(channel).ToString()), message));
        return answer.Ok ? answer.Value : null;
    }

    /// <summary>
    /// Calls <paramref name="handler"/> with each message on the prefixed <paramref name="channel"/>,
    /// across reconnects and reloads, until the result is disposed.
    /// </summary>
    public IDisposable Subscribe(string channel, Action<string> handler) => _subscriptions.Add(channel, handler, _link);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _config.Changed += Apply;
        Apply(_config.Current);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _config.Changed -= Apply;
        await _heartbeat.LeaveAsync();
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        RedisLink? link;
        lock (_lock)
        {
            link = _link;
            _link = null;
        }

        _heartbeat.Stop();
        if (link is not null)
        {
            await link.DisposeAsync();
        }
    }

    private void Apply(ConfigSnapshot snapshot)
    {
        var settings = snapshot.Settings.Redis;
        RedisLink? old;
        lock (_lock)
        {
            old = _link;
            if (settings is null ? old is null : old is not null && old.Settings.SameConnection(settings))
            {
                if (old is not null && settings is not null)
                {
                    // Timeouts, breaker, prefix and heartbeat are read per command: the same socket.
                    _link = old.With(settings);
                    _heartbeat.Start(settings);
                    _subscriptions.Attach(_link);
                }

                return;
            }

            if (old is not null && settings is not null)
            {
                _log.Reconnecting();
            }

            _link = settings is null ? null : new RedisLink(settings, _log);
            if (settings is null)
            {
                _log.Removed();
                _heartbeat.Stop();
            }
            else
            {
                _log.Connecting(_link!.Endpoint, settings.Database, settings.KeyPrefix);
                _heartbeat.Start(settings);
            }

            _subscriptions.Attach(_link);
        }

        if (old is not null && !ReferenceEquals(old, _link))
        {
            _ = old.DisposeAsync().AsTask();
        }
    }

    private static RedisErrorKind Kind(Exception e) => e switch
    {
        TimeoutException or RedisTimeoutException => RedisErrorKind.Timeout,
        RedisConnectionException or ObjectDisposedException => RedisErrorKind.Connection,
        _ => RedisErrorKind.Server,
    };
}
