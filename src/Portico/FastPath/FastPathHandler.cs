using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Caching;
using Portico.Compression;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Health;
using Portico.Observability;
using Portico.RateLimiting;
using Portico.Security;
using Portico.Security.Desync;
using Portico.Transport;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;

namespace Portico.FastPath;

/// <summary>
/// The fast path: a Kestrel connection middleware on plain HTTP/1.1 listeners that forwards the
/// common request itself, straight from the connection's bytes to a pooled backend connection
/// and back, without building an HttpContext, an HttpRequestMessage or YARP's pipeline. It takes
/// a request only when it can do everything the full path would do for it (see
/// <see cref="FastRoutes"/> and <see cref="RequestHead"/>); on anything else (a body, an upgrade,
/// a route with a cache or a WAF, a head still arriving, a backend it cannot reach) it hands the
/// connection, from that request on, to the full path, which reads that request again from the
/// start. What a request passes through on either path is the same: framing checks, routing,
/// load balancing, forwarded headers, hidden response headers, timeouts, passive health,
/// metrics, the dashboard's statistics and the access log.
/// </summary>
/// <remarks>
/// This class runs the connection: it reads each head, asks <see cref="FastRoutes"/> for the
/// route and gives the request to <see cref="FastForwarder"/> or <see cref="FastCacheResponder"/>;
/// its clock enforces the connections' deadlines and closes idle backend connections.
/// </remarks>
internal sealed class FastPathHandler : IDisposable
{
    /// <summary>Set to "off" (or 0/false) to send every request through the full path.</summary>
    public const string Variable = "PORTICO_FASTPATH";

    private readonly ActiveConfig _config;
    private readonly PorticoMetrics _metrics;
    private readonly LimitsSettings _serverLimits;
    private readonly FastForwarder _forwarder;
    private readonly FastCacheResponder _cache;
    private readonly BackendPool _pool = new();
    private readonly HashSet<FastConnection> _open = [];
    private readonly Timer _clock;
    private FastRoutes? _routes;
    private Http1Limits? _limits;

    public FastPathHandler(IServiceProvider services, LimitsSettings serverLimits)
    {
        _config = services.GetRequiredService<ActiveConfig>();
        _metrics = services.GetRequiredService<PorticoMetrics>();
        _serverLimits = serverLimits;
        var time = services.GetRequiredService<TimeProvider>();
        var passive = services.GetServices<Yarp.ReverseProxy.Health.IPassiveHealthCheckPolicy>().OfType<PassiveHealthPolicy>().FirstOrDefault();
        var log = services.GetRequiredService<ForwardingLog>();
        var recorder = new FastRecorder(_config, _metrics, services.GetRequiredService<RequestRecorder>(), time);
        var destinations = services.GetRequiredService<DestinationStats>();
        var compression = services.GetRequiredService<CompressionMetrics>();
        var local = new FastLocalAnswer(recorder, passive, destinations, log, services.GetRequiredService<GuardLog>(), _config, time, compression);
        var limits = new FastRateLimit(services.GetRequiredService<IRateLimitStore>(), recorder);
        _forwarder = new FastForwarder(
            _config,
            services.GetRequiredService<IProxyStateLookup>(),
            services.GetServices<ILoadBalancingPolicy>().ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase),
            _pool,
            new FastRelay(recorder, local, passive, destinations, log, compression),
            local,
            limits,
            recorder,
            passive,
            destinations,
            log);
        var store = services.GetRequiredService<ICacheStore>();
        var cacheMetrics = services.GetRequiredService<CacheMetrics>();
        var misses = new FastMisses(_config, store, services.GetRequiredService<PartialStore>(), services.GetRequiredService<CacheFlights>(), cacheMetrics, time);
        _cache = new FastCacheResponder(new FastCache(store, cacheMetrics, time), recorder, limits, local, _forwarder, misses);
        _clock = new Timer(static s => ((FastPathHandler)s!).Tick(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// The fast path for HTTP/2 requests, the first thing each one meets (see <see cref="StreamRequests"/>);
    /// other requests go straight to <paramref name="fullPath"/>.
    /// </summary>
    public RequestDelegate WrapStreams(RequestDelegate fullPath)
    {
        var streams = new StreamRequests(this, _config, _metrics, _forwarder, _cache);
        return context => HttpProtocol.IsHttp2(context.Request.Protocol) ? streams.RunAsync(context, fullPath) : fullPath(context);
    }

    /// <summary>Whether the environment turned the fast path off.</summary>
    public static bool DisabledByEnvironment
        => Environment.GetEnvironmentVariable(Variable) is { } value && value.Trim().ToLowerInvariant() is "off" or "0" or "false" or "no";

    /// <summary>
    /// Runs a connection of listener <paramref name="listener"/> on the fast path, handing it to
    /// <paramref name="fullPath"/> when a request needs it, or at once when the listener's
    /// current settings or the connection's TLS session ask for what only the full path does.
    /// </summary>
    public ConnectionDelegate Wrap(ConnectionDelegate fullPath, string listener)
        => connection => Takes(listener, connection.Features.Get<ITlsConnectionFeature>()) ? RunAsync(connection, fullPath, listener) : fullPath(connection);

    public void Dispose()
    {
        _clock.Dispose();
        _pool.Dispose();
    }

    /// <summary>Whether a connection of listener <paramref name="name"/>, under its current settings, is one the fast path may serve.</summary>
    internal bool Takes(string? name, ITlsConnectionFeature? tls, bool http2 = false)
    {
        if (_config.Current.Settings.Listener(name) is not { } listener || FastRoutes.ListenerRefusal(listener, http2) is not null)
        {
            return false;
        }

        // A verified client certificate the TLS stage passes on in X-Client-Cert-* fields: the
        // connection-level fast path adds them (FastTls), an HTTP/2 request's does not.
        return !http2
               || tls is not { ClientCertificate: not null }
               || listener.Tls?.ClientCertificate is not { ForwardHeaders: true };
    }

    private async Task RunAsync(ConnectionContext connection, ConnectionDelegate fullPath, string listener)
    {
        FastTls? tls = null;
        var underscores = _config.Current.Settings.Limits.UnderscoreHeaders;
        var limits = Limits(underscores == UnderscoreHeaderPolicy.Reject);
        var state = new FastConnection(connection);
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var encrypted = state.Encrypted;
        var handOver = false;
        Track(state);
        // The request to close (the server's stop): told directly on a connection the event loop
        // started, through its token elsewhere.
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        var watch = lifetime as ICloseRequestWatch;
        watch?.Watch(state);
        using var closing = watch is null
            ? lifetime?.ConnectionClosedRequested.Register(static s => ((FastConnection)s!).RequestClose(), state)
            : null;
        try
        {
            while (!state.CloseRequested)
            {
                state.Arm(FastConnection.Phase.Idle, _serverLimits.KeepAliveTimeout);
                ReadResult result;
                try
                {
                    // TLS: between requests the loop waits on the encrypted input, not in the
                    // SslStream's read (EncryptedInput says why).
                    if (encrypted is null || !input.TryRead(out result))
                    {
                        if (encrypted is not null && encrypted.Drained())
                        {
                            encrypted.Leave(await encrypted.Reader.ReadAsync());
                        }

                        result = await input.ReadAsync();
                    }
                }
                catch (Exception e) when (e is ConnectionResetException or ConnectionAbortedException or IOException or OperationCanceledException)
                {
                    break;
                }

                state.Arm(FastConnection.Phase.Busy, default);
                var buffer = result.Buffer;
                if (buffer.IsEmpty || result.IsCanceled)
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        break;
                    }

                    continue;
                }

                var kind = state.Head.Parse(buffer, limits);
                state.Protocol = state.Head.Http10 ? "HTTP/1.0" : "HTTP/1.1";
                var entry = Decide(state, kind, out var reason);
                if (entry is not null)
                {
                    FastTls.Begin(ref tls, connection, state, _config.Current.Settings.Listener(listener));
                }

                state.CacheHandedOver = false;
                var outcome = entry is null ? FastOutcome.HandOver
                    : entry.Route.Cache is not null ? await _cache.AnswerAsync(state, entry, output, forwardMisses: underscores)
                    : await _forwarder.ForwardAsync(state, entry, underscores, output);
                if (outcome == FastOutcome.HandOver)
                {
                    _metrics.FastPathHandedOver(reason ?? (state.CacheHandedOver ? HandOverReason.Cache : HandOverReason.Backend));
                    input.AdvanceTo(buffer.Start);
                    handOver = true;
                    break;
                }

                input.AdvanceTo(buffer.GetPosition(state.Head.Length));
                var close = state.Head.Close;
                state.ReleaseHead();
                if (outcome == FastOutcome.Close || close)
                {
                    break;
                }
            }
        }
        finally
        {
            watch?.Watch(null);
            state.ReleaseHead();
            Untrack(state);
        }

        if (handOver)
        {
            await fullPath(connection);
            return;
        }

        await output.CompleteAsync();
    }

    /// <summary>The framing limits, one object for every connection while the setting holds (not one each).</summary>
    internal Http1Limits Limits(bool rejectUnderscores)
    {
        var limits = _limits;
        if (limits is null || limits.RejectUnderscoreNames != rejectUnderscores)
        {
            _limits = limits = new Http1Limits(_serverLimits.MaxRequestLine, _serverLimits.MaxHeaderCount, _serverLimits.MaxHeadersSize, rejectUnderscores);
        }

        return limits;
    }

    /// <summary>The route a parsed head takes on the fast path, or null and why it is handed over.</summary>
    internal FastRoutes.Entry? Decide(FastConnection state, HeadKind kind, out HandOverReason? reason)
    {
        if (kind != HeadKind.Whole)
        {
            reason = kind switch
            {
                HeadKind.Partial => HandOverReason.PartialHead,
                HeadKind.Invalid => HandOverReason.Invalid,
                _ => state.Head.NotHandledReason ?? HandOverReason.Other,
            };
            return null;
        }

        var routes = Routes();
        var head = state.Head;
        var entry = routes.Match(head[head.Method], head[head.Host], head[head.Path], head.Target.End.Value - head.Target.Start.Value, out reason);
        if (entry is not null && routes.CarriesIdentityHeader(head))
        {
            (entry, reason) = (null, HandOverReason.IdentityHeaders);
        }
        else if (entry is { CacheHitsOnly: false } && FastRewrite.Applies(entry.Route) && !FastRewrite.Verbatim(head[head.Path]))
        {
            (entry, reason) = (null, HandOverReason.Rewrite);
        }
        else if (entry is not null && routes.IsAuthEndpoint(head[head.Path]))
        {
            (entry, reason) = (null, HandOverReason.AuthEndpoint);
        }
        else if (entry is not null && head.Http10 && !Http10Served(entry, head))
        {
            (entry, reason) = (null, HandOverReason.Http10);
        }

        return entry;
    }

    /// <summary>
    /// Whether the fast path answers an HTTP/1.0 request for <paramref name="entry"/> as the full
    /// path does. Not on a route with a cache (its hits, misses and collapsed followers) or with
    /// compression (an encoded body of unknown length, which HTTP/1.0 cannot be sent chunked); and
    /// a request without Host not where the Host it is forwarded with could change: a cluster that
    /// retries (each attempt goes with its destination's) or a prefix rewrite (whose mapped-back
    /// Location is built from the request's host).
    /// </summary>
    internal static bool Http10Served(FastRoutes.Entry entry, RequestHead head)
        => entry.Route.Cache is null && entry.Route.Compression is null
           && (!head.NoHost || (entry.Cluster is { Settings.Retries: 0 } && !FastRewrite.Applies(entry.Route)));

    /// <summary>A connection (or HTTP/2 request) whose deadlines the clock enforces from now until <see cref="Untrack"/>.</summary>
    internal void Track(FastConnection state)
    {
        lock (_open)
        {
            _open.Add(state);
        }
    }

    internal void Untrack(FastConnection state)
    {
        lock (_open)
        {
            _open.Remove(state);
        }
    }

    private FastRoutes Routes()
    {
        var snapshot = _config.Current;
        var routes = _routes;
        if (routes is null || !ReferenceEquals(routes.Snapshot, snapshot))
        {
            _routes = routes = FastRoutes.Build(snapshot);
        }

        return routes;
    }

    private void Tick()
    {
        // Only the connections past their deadline are taken out of the lock (usually none): a
        // copy of the whole set each second was 80 KB at 10,000 idle connections, and above about
        // 10,600 a large-object allocation every second (issue 25: memory per idle connection).
        var now = Environment.TickCount64;
        List<FastConnection>? due = null;
        lock (_open)
        {
            foreach (var connection in _open)
            {
                if (connection.Due(now))
                {
                    (due ??= []).Add(connection);
                }
            }
        }

        if (due is not null)
        {
            foreach (var connection in due)
            {
                connection.Check(now);
            }
        }

        _pool.CloseIdle(now);
    }
}
