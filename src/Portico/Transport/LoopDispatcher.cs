using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Portico.Transport;

/// <summary>
/// Starts a listener's connections where they are accepted, on its event loop, in place of
/// Kestrel's ConnectionDispatcher, which queued every accepted connection to the thread pool
/// (one pool work item, 1 to 2 context switches and 1 to 4 futex calls a connection: issue 25).
/// It runs the connection pipeline Kestrel built for the listener (taken as it is built:
/// <see cref="LoopDispatches"/>), and gives each connection what Kestrel's dispatcher and its
/// KestrelConnection gave: the heartbeat that ticks Kestrel's timeouts once a second (request
/// headers, keep-alive, minimum data rates, HTTP/2's), the request to close at the server's
/// stop, the callbacks run once the connection is done, Kestrel's metrics feature
/// (<see cref="KestrelMetricsFeature"/>), and at the stop the same order as Kestrel's: a request
/// to close, the grace period, then an abort and at most a second's wait.
/// </summary>
/// <remarks>
/// Kestrel's own limit of open connections would wrap the pipeline outside what is taken here;
/// Portico leaves it unset and counts `limits.maxConnections` in its pipeline (Security's
/// ConnectionGate), so it holds under either dispatcher. Not given: Kestrel's own accounting of these connections (its meter's kestrel.* connection
/// instruments, its EventSource counters, its Debug log lines of a connection's start, stop and
/// refusal, the connection's logging scope, which Portico does not capture).
/// </remarks>
internal sealed class LoopDispatcher : IAsyncDisposable
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AbortWait = TimeSpan.FromSeconds(1);

    private readonly ConnectionDelegate _app;
    private readonly int _features;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly ITimer _heartbeat;

    // Under _gate: the connections running, a list through their own links.
    private Started? _first;
    private int _count;
    private bool _closing;
    private bool _ended;
    private TaskCompletionSource? _drained;

    // The heartbeat's own: the connections being ticked (one tick at a time).
    private Started?[] _ticking = new Started?[64];
    private int _tickRunning;
    private CancellationToken _grace = new(canceled: true);

    /// <param name="features">The room a connection's features get at its start (<see cref="ConnectionFeatures"/>), sized for the listener.</param>
    public LoopDispatcher(ConnectionDelegate app, int features, ILogger log)
    {
        _app = app;
        _features = features;
        _log = log;
        _heartbeat = TimeProvider.System.CreateTimer(static s => ((LoopDispatcher)s!).Tick(), this, Heartbeat, Heartbeat);
    }

    /// <summary>
    /// Runs <paramref name="connection"/>'s pipeline, on the caller's thread up to its first wait;
    /// once the stop has begun its wait (<see cref="DisposeAsync"/>), closes it instead.
    /// </summary>
    public void Start(LoopConnection connection)
    {
        var started = new Started(this, connection);
        bool ended;
        bool closing;
        lock (_gate)
        {
            ended = _ended;
            closing = _closing;
            if (!ended)
            {
                started.Next = _first;
                if (_first is not null)
                {
                    _first.Previous = started;
                }

                _first = started;
                _count++;
            }
        }

        if (ended)
        {
            // Taken from the backlog just before the listener's stop and handed over after the
            // stop counted what it waits for: run, nothing would wait for it, abort it or tick its
            // timeouts once the server is gone. (Kestrel's unbind waits for its accept loop, so
            // none of its own connections comes this late.)
            _ = connection.DisposeAsync();
            return;
        }

        if (closing)
        {
            started.RequestClose();
        }

        _ = started.RunAsync();
    }

    /// <summary>The listener stopped accepting (Kestrel's unbind, at the server's stop): every connection is asked to close, within <paramref name="grace"/>.</summary>
    public void BeginClose(CancellationToken grace)
    {
        lock (_gate)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
            _grace = grace;
        }

        foreach (var started in Snapshot())
        {
            started.RequestClose();
        }
    }

    /// <summary>Waits for the connections to end, as Kestrel's stop does: until the grace period ends, then aborts the rest and waits at most a second.</summary>
    public async ValueTask DisposeAsync()
    {
        BeginClose(new CancellationToken(canceled: true));
        Task drained;
        lock (_gate)
        {
            _ended = true;
            drained = _count == 0 ? Task.CompletedTask : (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        if (!drained.IsCompleted)
        {
            await Task.WhenAny(drained, Task.Delay(Timeout.Infinite, _grace)).ConfigureAwait(false);
            if (!drained.IsCompleted)
            {
                var aborted = Snapshot();
                TransportLog.ConnectionsAborted(_log, aborted.Count);
                foreach (var started in aborted)
                {
                    started.Connection.Abort(new ConnectionAbortedException(
                        "The connection was aborted because the server is shutting down and request processing didn't complete within the time specified by HostOptions.ShutdownTimeout."));
                }

                await Task.WhenAny(drained, Task.Delay(AbortWait)).ConfigureAwait(false);
            }
        }

        _heartbeat.Dispose();
    }

    private List<Started> Snapshot()
    {
        lock (_gate)
        {
            var all = new List<Started>(_count);
            for (var s = _first; s is not null; s = s.Next)
            {
                all.Add(s);
            }

            return all;
        }
    }

    private void Remove(Started started)
    {
        TaskCompletionSource? drained = null;
        lock (_gate)
        {
            if (started.Previous is null)
            {
                _first = started.Next;
            }
            else
            {
                started.Previous.Next = started.Next;
            }

            if (started.Next is not null)
            {
                started.Next.Previous = started.Previous;
            }

            started.Previous = started.Next = null;
            if (--_count == 0)
            {
                drained = _drained;
            }
        }

        drained?.TrySetResult();
    }

    /// <summary>On a timer thread, once a second: Kestrel's timeouts of every connection (as Kestrel's heartbeat ticks its own).</summary>
    private void Tick()
    {
        if (Interlocked.Exchange(ref _tickRunning, 1) != 0)
        {
            // The last tick has not ended: skip one, as Kestrel's heartbeat does.
            return;
        }

        var count = 0;
        try
        {
            lock (_gate)
            {
                if (_ticking.Length < _count)
                {
                    _ticking = new Started?[Math.Max(_count, _ticking.Length * 2)];
                }

                for (var s = _first; s is not null; s = s.Next)
                {
                    _ticking[count++] = s;
                }
            }

            for (var i = 0; i < count; i++)
            {
                try
                {
                    _ticking[i]!.TickHeartbeat();
                }
                catch (Exception e)
                {
                    TransportLog.HeartbeatFailed(_log, e, _ticking[i]!.Connection.ConnectionId);
                }
            }
        }
        finally
        {
            Array.Clear(_ticking, 0, count);
            Volatile.Write(ref _tickRunning, 0);
        }
    }

    /// <summary>
    /// A connection started by the dispatcher, and the features Kestrel's KestrelConnection gave
    /// it: its heartbeat, the request to close, the callbacks at its end.
    /// </summary>
    private sealed class Started : IConnectionHeartbeatFeature, IConnectionCompleteFeature, IConnectionLifetimeNotificationFeature,
        ICloseRequestWatch
    {
        private readonly LoopDispatcher _owner;

        // The request to close: a flag, told to the watcher (the fast path's connection) and to
        // the token's source, which is made only when someone asks for the token.
        private int _closeRequested;
        private ICloseRequestWatcher? _watcher;
        private CancellationTokenSource? _closing;
        private CancellationToken? _closingSet;

        // Copied on each registration (one or two a connection, most fast-path ones none), read
        // whole by the tick: no lock of its own per connection.
        private (Action<object> Handler, object State)[]? _heartbeat;
        private Stack<(Func<object, Task> Callback, object State)>? _onCompleted;
        private bool _completed;

        public Started(LoopDispatcher owner, LoopConnection connection)
        {
            _owner = owner;
            Connection = connection;
            var features = connection.Features;
            ((ConnectionFeatures)features).Reserve(owner._features);
            features.Set<IConnectionHeartbeatFeature>(this);
            features.Set<IConnectionCompleteFeature>(this);
            features.Set<IConnectionLifetimeNotificationFeature>(this);

            var (metricsType, makeMetrics) = KestrelMetricsFeature.Found!.Value;
            features[metricsType] = makeMetrics(connection);
        }

        public LoopConnection Connection { get; }

        // Under the owner's gate.
        public Started? Previous { get; set; }

        public Started? Next { get; set; }

        public CancellationToken ConnectionClosedRequested
        {
            get
            {
                if (_closingSet is { } set)
                {
                    return set;
                }

                var source = Volatile.Read(ref _closing);
                if (source is null)
                {
                    var made = new CancellationTokenSource();
                    source = Interlocked.CompareExchange(ref _closing, made, null) ?? made;
                    if (ReferenceEquals(source, made) && Volatile.Read(ref _closeRequested) != 0)
                    {
                        // Asked for after the request to close, which found no source to cancel.
                        Cancel(source);
                    }
                }

                return source.Token;
            }

            set => _closingSet = value;
        }

        public void Watch(ICloseRequestWatcher? watcher)
        {
            Interlocked.Exchange(ref _watcher, watcher);
            if (watcher is not null && Volatile.Read(ref _closeRequested) != 0)
            {
                watcher.OnCloseRequested();
            }
        }

        public void OnHeartbeat(Action<object> action, object state)
        {
            while (true)
            {
                var current = Volatile.Read(ref _heartbeat);
                (Action<object>, object)[] next = current is null ? [(action, state)] : [.. current, (action, state)];
                if (ReferenceEquals(Interlocked.CompareExchange(ref _heartbeat, next, current), current))
                {
                    return;
                }
            }
        }

        /// <summary>On the heartbeat's thread, one tick at a time (the owner's <c>_tickRunning</c>).</summary>
        public void TickHeartbeat()
        {
            var handlers = Volatile.Read(ref _heartbeat);
            if (handlers is null)
            {
                return;
            }

            foreach (var (handler, state) in handlers)
            {
                handler(state);
            }
        }

        public void OnCompleted(Func<object, Task> callback, object state)
        {
            if (_completed)
            {
                throw new InvalidOperationException("The connection is already complete.");
            }

            (_onCompleted ??= new()).Push((callback, state));
        }

        public void RequestClose()
        {
            Interlocked.Exchange(ref _closeRequested, 1);
            Volatile.Read(ref _watcher)?.OnCloseRequested();
            if (Volatile.Read(ref _closing) is { } source)
            {
                Cancel(source);
            }
        }

        private static void Cancel(CancellationTokenSource source)
        {
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The connection has ended.
            }
        }

        public async Task RunAsync()
        {
            try
            {
                await _owner._app(Connection);
            }
            catch (Exception e)
            {
                TransportLog.ConnectionFailed(_owner._log, e, Connection.ConnectionId);
            }
            finally
            {
                _completed = true;
                while (_onCompleted is not null && _onCompleted.TryPop(out var completed))
                {
                    try
                    {
                        await completed.Callback(completed.State);
                    }
                    catch (Exception e)
                    {
                        TransportLog.ConnectionFailed(_owner._log, e, Connection.ConnectionId);
                    }
                }

                await Connection.DisposeAsync();
                _owner.Remove(this);
                Volatile.Read(ref _closing)?.Dispose();
            }
        }
    }
}

/// <summary>
/// The connection pipelines Kestrel builds for the listeners, each taken as it is built (the
/// outermost middleware, <see cref="Offer"/>) and claimed by the transport when Kestrel binds
/// that listener's end point right after (<see cref="LoopTransport"/>).
/// </summary>
internal sealed class LoopDispatches
{
    private readonly Lock _gate = new();
    private readonly Dictionary<object, (ConnectionDelegate App, int Features)> _offered = new(ReferenceEqualityComparer.Instance);

    /// <summary>Adds the outermost middleware of a listener whose end point is <paramref name="options"/>'s.</summary>
    /// <param name="tls">Whether the listener speaks TLS: its connections get room for the TLS features at their start.</param>
    public void Use(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions options, bool tls = false)
        => options.Use(next =>
        {
            lock (_gate)
            {
                _offered[options.EndPoint] = (next, tls ? ConnectionFeatures.TlsCapacity : ConnectionFeatures.PlainCapacity);
            }

            return next;
        });

    /// <summary>The pipeline built for <paramref name="endPoint"/> (the same object Kestrel binds) and the room for its connections' features, once.</summary>
    public (ConnectionDelegate App, int Features)? Claim(System.Net.EndPoint endPoint)
    {
        lock (_gate)
        {
            return _offered.Remove(endPoint, out var offered) ? offered : null;
        }
    }
}
