using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Portico.Caching;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Health;
using Portico.Observability;
using Portico.Security.Desync;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

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
internal sealed class FastPathHandler : IDisposable
{
    /// <summary>Set to "off" (or 0/false) to send every request through the full path.</summary>
    public const string Variable = "PORTICO_FASTPATH";

    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    // The requests being written to backends. A buffer is held while its backend answers, so
    // a loop has as many out as requests in flight: more than the shared pool keeps per core
    // (32 per size), which then allocates anew for most requests under load.
    private static readonly ArrayPool<byte> RequestBuffers = ArrayPool<byte>.Create(64 * 1024, 1024);

    // A body is relayed in reads of up to this size (loopback and LAN sockets deliver 64 KiB at
    // once); 8 KiB reads cost twice the CPU of nginx per 100 KiB response in bench (b).
    private const int BodyChunk = 64 * 1024;

    // Response fields are checked for syntax only; their sizes are bounded by the head buffer.
    private static readonly Http1Limits ResponseFieldLimits = new(long.MaxValue, int.MaxValue, long.MaxValue, RejectUnderscoreNames: false);

    private readonly ActiveConfig _config;
    private readonly IProxyStateLookup _proxyState;
    private readonly Dictionary<string, ILoadBalancingPolicy> _policies;
    private readonly PassiveHealthPolicy? _passive;
    private readonly PorticoMetrics _metrics;
    private readonly TrafficStats _stats;
    private readonly AccessLogWriter _accessLog;
    private readonly ForwardingLog _log;
    private readonly TimeProvider _time;
    private readonly LimitsSettings _serverLimits;
    private readonly FastCache _cache;
    private readonly BackendPool _pool = new();
    private readonly HashSet<FastConnection> _open = [];
    private readonly Timer _clock;
    private readonly HttpContext _policyContext = new DefaultHttpContext();
    private FastRoutes? _routes;

    public FastPathHandler(IServiceProvider services, LimitsSettings serverLimits)
    {
        _config = services.GetRequiredService<ActiveConfig>();
        _proxyState = services.GetRequiredService<IProxyStateLookup>();
        _policies = services.GetServices<ILoadBalancingPolicy>().ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _passive = services.GetServices<Yarp.ReverseProxy.Health.IPassiveHealthCheckPolicy>().OfType<PassiveHealthPolicy>().FirstOrDefault();
        _metrics = services.GetRequiredService<PorticoMetrics>();
        _stats = services.GetRequiredService<TrafficStats>();
        _accessLog = services.GetRequiredService<AccessLogWriter>();
        _log = services.GetRequiredService<ForwardingLog>();
        _time = services.GetRequiredService<TimeProvider>();
        _serverLimits = serverLimits;
        _cache = new FastCache(services.GetRequiredService<Caching.ICacheStore>(), services.GetRequiredService<Caching.CacheMetrics>(), _time);
        _clock = new Timer(static s => ((FastPathHandler)s!).Tick(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Whether the environment turned the fast path off.</summary>
    public static bool DisabledByEnvironment
        => Environment.GetEnvironmentVariable(Variable) is { } value && value.Trim().ToLowerInvariant() is "off" or "0" or "false" or "no";

    private enum Outcome
    {
        /// <summary>Answered; the connection may carry the next request.</summary>
        Done,

        /// <summary>Answered; the connection must close now.</summary>
        Close,

        /// <summary>Not answered and nothing sent to the client: the full path takes this request.</summary>
        HandOver,
    }

    /// <summary>Runs a connection on the fast path, handing it to <paramref name="fullPath"/> when a request needs it.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate fullPath) => connection => RunAsync(connection, fullPath);

    public void Dispose()
    {
        _clock.Dispose();
        _pool.Dispose();
    }

    private async Task RunAsync(ConnectionContext connection, ConnectionDelegate fullPath)
    {
        var underscores = _config.Current.Settings.Limits.UnderscoreHeaders;
        var limits = new Http1Limits(_serverLimits.MaxRequestLine, _serverLimits.MaxHeaderCount, _serverLimits.MaxHeadersSize, underscores == UnderscoreHeaderPolicy.Reject);
        var state = new FastConnection(connection);
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var handOver = false;
        lock (_open)
        {
            _open.Add(state);
        }

        using var closing = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .Register(static s => ((FastConnection)s!).RequestClose(), state);
        try
        {
            while (!state.CloseRequested)
            {
                state.Arm(FastConnection.Phase.Idle, _serverLimits.KeepAliveTimeout);
                ReadResult result;
                try
                {
                    result = await input.ReadAsync();
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
                var routes = Routes();
                FastRoutes.Entry? entry = null;
                string? reason;
                if (kind == HeadKind.Whole)
                {
                    var head = state.Head;
                    entry = routes.Match(head[head.Method], head[head.Host], head[head.Path], head.Target.End.Value - head.Target.Start.Value, out reason);
                }
                else
                {
                    reason = kind switch
                    {
                        HeadKind.Partial => "partial_head",
                        HeadKind.Invalid => "invalid",
                        _ => state.Head.NotHandledReason ?? "other",
                    };
                }

                var outcome = entry is null ? Outcome.HandOver
                    : entry.CacheHitsOnly ? await AnswerFromCacheAsync(state, entry, output)
                    : await ForwardAsync(state, entry, underscores, output);
                if (outcome == Outcome.HandOver)
                {
                    _metrics.FastPathHandedOver(reason ?? (entry is { CacheHitsOnly: true } ? "cache" : "backend"));
                    input.AdvanceTo(buffer.Start);
                    handOver = true;
                    break;
                }

                input.AdvanceTo(buffer.GetPosition(state.Head.Length));
                if (outcome == Outcome.Close || state.Head.Close)
                {
                    break;
                }
            }
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(state);
            }
        }

        if (handOver)
        {
            await fullPath(connection);
            return;
        }

        await output.CompleteAsync();
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

    private async ValueTask<Outcome> ForwardAsync(FastConnection state, FastRoutes.Entry entry, UnderscoreHeaderPolicy underscores, PipeWriter output)
    {
        var route = entry.Route;
        var fast = entry.Cluster!;
        if (!_proxyState.TryGetCluster(route.Cluster, out var cluster)
            || cluster.DestinationsState.AvailableDestinations is not { Count: > 0 } available
            || !_policies.TryGetValue(cluster.Model.Config.LoadBalancingPolicy ?? "PowerOfTwoChoices", out var policy)
            || policy.PickDestination(_policyContext, cluster, available) is not { } destination)
        {
            return Outcome.HandOver;
        }

        var head = state.Head;
        var start = _time.GetTimestamp();
        var clientId = ClientRequestId(head);
        var requestId = clientId ?? state.NextRequestId();
        var settings = _config.Current.Settings;
        var address = destination.Model.Config.Address;
        var endpoint = _pool.For(address);

        // Worst case: the head, plus the forwarded headers repeating the client's lists and host.
        var request = RequestBuffers.Rent((head.Length * 3) + 512);
        BackendConnection? backend = null;
        DestinationCounters.Increment(destination);
        try
        {
            var length = WriteRequest(state, request, clientId is null ? requestId : null, settings.Proxy, underscores);
            var reused = true;
            backend = endpoint.TakeIdle(state.Loop);
            while (true)
            {
                if (backend is null)
                {
                    reused = false;
                    try
                    {
                        backend = await endpoint.ConnectAsync(fast.Settings.ConnectTimeout, state.Loop);
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException)
                    {
                        // The full path retries, ejects and answers 502/504 as configured.
                        return Outcome.HandOver;
                    }
                }

                state.Exchange(backend, fast);
                var sent = await SendAsync(backend, request.AsMemory(0, length));

                // The response head (see ScanHead), read here rather than in a method of its own:
                // one suspended frame per request instead of two.
                var read = default(ResponseHead);
                var filled = 0;
                var searched = 0;
                while (sent && !ScanHead(backend.Buffer, ref filled, ref searched, out read))
                {
                    int n;
                    try
                    {
                        n = await backend.ReceiveAsync(backend.Buffer.AsMemory(filled));
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                        n = 0;
                    }

                    if (n == 0)
                    {
                        read = new ResponseHead(filled == 0 ? 0 : -1, 0, filled, filled > 0);
                        break;
                    }

                    filled += n;
                }

                var attempt = backend;
                backend = null;
                if (read.Status > 0)
                {
                    // RelayAsync returns the connection to the pool or closes it.
                    _metrics.RequestStarted();
                    return await RelayAsync(state, entry, cluster, destination, address, attempt, read, requestId, start, settings, output);
                }

                attempt.Dispose();
                if (state.TimedOut || (read.Status < 0 && read.Received))
                {
                    _metrics.RequestStarted();
                    return await AnswerLocallyAsync(state, entry, cluster, destination, address, requestId, start, state.TimedOut ? 504 : 502, output);
                }

                if (!reused)
                {
                    return Outcome.HandOver;
                }

                // A kept-alive connection the backend had closed: try once more on a new one.
                reused = false;
            }
        }
        finally
        {
            DestinationCounters.Decrement(destination);
            state.Exchange(null, null);
            backend?.Dispose();
            RequestBuffers.Return(request);
        }
    }

    /// <summary>A fresh hit, answered as the cache stage would (see <see cref="FastCache"/>); anything else is handed over.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> AnswerFromCacheAsync(FastConnection state, FastRoutes.Entry entry, PipeWriter output)
    {
        var route = entry.Route;
        var start = _time.GetTimestamp();
        var head = state.Head;
        if (await _cache.LookupAsync(head, route) is not { } hit)
        {
            return Outcome.HandOver;
        }

        var requestId = ClientRequestId(head) ?? state.NextRequestId();
        _metrics.RequestStarted();
        _cache.Record(route.Id);
        var stored = _cache.Head(hit.Entry);
        var room = stored.Room(requestId);
        int status;
        long bodyBytes;
        bool flushed;
        if (state.Direct is null)
        {
            var (written, headLength, body) = FastCache.WriteHead(hit.Entry, stored, hit.Age, hit.Ttl, head, requestId, output.GetSpan(room));
            output.Advance(headLength);
            output.Write(body.Span);
            (status, bodyBytes) = (written, body.Length);
            flushed = await FlushAsync(output);
        }
        else
        {
            // As a forwarded response's first write (RelayAsync): the head staged, sent with the
            // stored body straight to the socket when nothing waits in the pipe.
            var staged = ArrayPool<byte>.Shared.Rent(room);
            try
            {
                var (written, headLength, body) = FastCache.WriteHead(hit.Entry, stored, hit.Age, hit.Ttl, head, requestId, staged);
                (status, bodyBytes) = (written, body.Length);
                flushed = await FlushAsync(state, output, staged, headLength, body);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(staged);
            }
        }

        Finish(state, entry, null, requestId, start, status, bodyBytes, reason: null, cache: CacheOutcomes.Name(CacheOutcome.Hit));
        return flushed ? Outcome.Done : Outcome.Close;
    }

    /// <summary>The client's X-Request-Id when it sent exactly one and it is usable (RequestIds, as on the full path).</summary>
    private static string? ClientRequestId(RequestHead head)
        => RequestIds.Usable(head.RequestIdCount == 1 ? Encoding.Latin1.GetString(head[head.RequestId]) : null);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> SendAsync(BackendConnection backend, ReadOnlyMemory<byte> bytes)
    {
        try
        {
            while (!bytes.IsEmpty)
            {
                var n = await backend.SendAsync(bytes);
                bytes = bytes[n..];
            }

            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>The response head as the backend sent it, in the connection's buffer.</summary>
    private readonly record struct ResponseHead(int Status, int HeadLength, int Filled, bool Received);

    /// <summary>
    /// Whether the first <paramref name="filled"/> bytes of <paramref name="buffer"/> settle the
    /// response head: a final (non-1xx) head is whole, or it is broken or too large (status -1).
    /// Interim responses (103 Early Hints, …) are dropped, as the full path drops them. False:
    /// read more after <paramref name="filled"/>; <paramref name="searched"/> keeps the scan from
    /// starting over. A connection that ends first reads as status 0 when nothing came (safe to
    /// send again) and -1 otherwise; the caller sets that.
    /// </summary>
    private static bool ScanHead(byte[] buffer, ref int filled, ref int searched, out ResponseHead read)
    {
        while (true)
        {
            var from = Math.Max(0, searched - 3);
            var end = buffer.AsSpan(from, filled - from).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                searched = filled;
                read = filled == buffer.Length ? new ResponseHead(-1, 0, filled, true) : default;
                return filled == buffer.Length;
            }

            var headLength = from + end + 4;
            var status = StatusOf(buffer.AsSpan(0, headLength));
            if (status is >= 200 and <= 999)
            {
                read = new ResponseHead(status, headLength, filled, true);
                return true;
            }

            if (status is < 100 or > 199 or 101)
            {
                read = new ResponseHead(-1, 0, filled, true);
                return true;
            }

            buffer.AsSpan(headLength, filled - headLength).CopyTo(buffer);
            filled -= headLength;
            searched = 0;
        }
    }

    private static int StatusOf(ReadOnlySpan<byte> head)
    {
        // "HTTP/1.x SSS reason"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || head[8] != ' ' || !char.IsAsciiDigit((char)head[9]) || !char.IsAsciiDigit((char)head[10]) || !char.IsAsciiDigit((char)head[11]))
        {
            return -1;
        }

        if (head.Length > 12 && head[12] != ' ' && head[12] != '\r')
        {
            return -1;
        }

        return ((head[9] - '0') * 100) + ((head[10] - '0') * 10) + (head[11] - '0');
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> RelayAsync(
        FastConnection state, FastRoutes.Entry entry, ClusterState cluster, DestinationState destination, string address, BackendConnection backend,
        ResponseHead read, string requestId, long start, PorticoSettings settings, PipeWriter output)
    {
        var head = state.Head;
        var buffer = backend.Buffer;
        var room = ResponseRoom(read.HeadLength, requestId);

        // On Portico's transport the response's first write (its head and the body bytes that
        // came with it) is staged in an array and sent straight to the socket when nothing waits
        // in the output pipe (LoopConnection.TrySendNow); elsewhere it goes into the pipe.
        var staged = state.Direct is null ? null : ArrayPool<byte>.Shared.Rent(room + read.Filled - read.HeadLength);
        var stagedLength = 0;
        ResponseFraming framing;
        if (staged is null)
        {
            framing = RewriteResponseHead(buffer.AsSpan(0, read.HeadLength), read.Status, head.IsHead, head.Close, requestId, settings.Proxy.HideResponseHeaders, output.GetSpan(room));
            output.Advance(framing.HeadBytes);
        }
        else
        {
            framing = RewriteResponseHead(buffer.AsSpan(0, read.HeadLength), read.Status, head.IsHead, head.Close, requestId, settings.Proxy.HideResponseHeaders, staged);
            stagedLength = framing.HeadBytes;
        }

        if (framing.Mode == BodyMode.Invalid)
        {
            // Nothing was written to the client; the backend's answer is unusable.
            if (staged is not null)
            {
                ArrayPool<byte>.Shared.Return(staged);
            }

            backend.Dispose();
            return await AnswerLocallyAsync(state, entry, cluster, destination, address, requestId, start, 502, output);
        }

        long bodyBytes = 0;
        var complete = false;
        var clientGone = false;
        var chunked = new ChunkedScanner();
        var remaining = framing.Length;
        var returned = false;
        try
        {
            // The body bytes that came with the head, then reads straight into the client's
            // output, up to BodyChunk at a time, each flushed before the next read.
            var data = buffer.AsMemory(read.HeadLength, read.Filled - read.HeadLength);
            var fromHead = true;
            while (framing.Mode != BodyMode.None)
            {
                var take = framing.Mode switch
                {
                    BodyMode.Chunked => chunked.Scan(data.Span),
                    BodyMode.Length => (int)Math.Min(remaining, data.Length),
                    _ => data.Length,
                };
                if (take < 0)
                {
                    break;
                }

                if (fromHead && staged is not null)
                {
                    data.Span[..take].CopyTo(staged.AsSpan(stagedLength));
                    stagedLength += take;
                }
                else if (fromHead)
                {
                    output.Write(data.Span[..take]);
                }
                else
                {
                    output.Advance(take);
                }

                remaining -= take;
                bodyBytes += take;
                var ended = framing.Mode switch
                {
                    BodyMode.Chunked => chunked.Done,
                    BodyMode.Length => remaining == 0,
                    _ => false,
                };
                if (ended)
                {
                    // Bytes after the end of the message: the backend broke the framing.
                    complete = take == data.Length;
                    break;
                }

                var flushed = await FlushAsync(state, output, staged, stagedLength);
                stagedLength = 0;
                if (!flushed)
                {
                    clientGone = true;
                    break;
                }

                state.Arm(FastConnection.Phase.Backend, default);
                // A length-delimited body asks for no more than it still needs (a short rest fits
                // a pooled 4 KiB block instead of a 64 KiB array).
                var memory = output.GetMemory(framing.Mode == BodyMode.Length ? (int)Math.Min(remaining, BodyChunk) : BodyChunk);
                if (framing.Mode == BodyMode.Length && memory.Length > remaining)
                {
                    memory = memory[..(int)remaining];
                }

                var n = await ReceiveAsync(backend, memory);
                if (n <= 0)
                {
                    complete = n == 0 && framing.Mode == BodyMode.UntilClose;
                    break;
                }

                data = memory[..n];
                fromHead = false;
            }

            if (framing.Mode == BodyMode.None)
            {
                complete = data.IsEmpty;
            }
            else if (framing.Mode == BodyMode.Chunked)
            {
                bodyBytes = chunked.DataBytes;
            }

            // The exchange with the backend is over: judge it and free its connection before the
            // last flush, so a client that sends its next request as soon as it has this
            // response already finds the destination judged and the connection back in the pool.
            var detached = state.Detach();
            var reusable = complete && !clientGone && !framing.BackendCloses && framing.Mode != BodyMode.UntilClose && detached;
            if (reusable)
            {
                backend.Endpoint.Return(backend);
                returned = true;
            }

            _passive?.Record(cluster, destination, destinationFault: !complete && !clientGone, serverError: read.Status >= 500);
            if (!clientGone && !await FlushAsync(state, output, staged, stagedLength))
            {
                clientGone = true;
            }
        }
        finally
        {
            if (!returned)
            {
                backend.Dispose();
            }

            if (staged is not null)
            {
                ArrayPool<byte>.Shared.Return(staged);
            }
        }

        var status = read.Status;
        var failed = !complete && !clientGone;
        Finish(state, entry, address, requestId, start, status, bodyBytes, reason: null);
        if (failed)
        {
            _log.ForwardFailed(entry.Route.Id, destination.DestinationId, Yarp.ReverseProxy.Forwarder.ForwarderError.ResponseBodyDestination,
                state.TimedOut ? "the response body timed out" : "the response body ended early or was malformed");
        }

        return complete && !clientGone && !framing.ClientCloses ? Outcome.Done : Outcome.Close;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> ReceiveAsync(BackendConnection backend, Memory<byte> memory)
    {
        try
        {
            return await backend.ReceiveAsync(memory);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <summary>
    /// Sends what is staged and then <paramref name="after"/>, straight to the socket when the
    /// transport can without reordering (the rest, if any, goes into the pipe), then flushes the
    /// pipe unless nothing went there.
    /// </summary>
    private static ValueTask<bool> FlushAsync(FastConnection state, PipeWriter output, byte[]? staged, int stagedLength, ReadOnlyMemory<byte> after = default)
    {
        var total = stagedLength + after.Length;
        if (total > 0)
        {
            var sent = state.Direct!.TrySendNow(staged.AsSpan(0, stagedLength), after.Span);
            if (sent == total)
            {
                return new ValueTask<bool>(true);
            }

            if (sent < stagedLength)
            {
                output.Write(staged.AsSpan(sent, stagedLength - sent));
                output.Write(after.Span);
            }
            else
            {
                output.Write(after.Span[(sent - stagedLength)..]);
            }
        }

        return FlushAsync(output);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> FlushAsync(PipeWriter output)
    {
        try
        {
            var result = await output.FlushAsync();
            return !result.IsCompleted && !result.IsCanceled;
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
    }

    private enum BodyMode
    {
        None,
        Length,
        Chunked,
        UntilClose,
        Invalid,
    }

    /// <param name="HeadBytes">The length of the head written for the client (0 when Invalid).</param>
    private readonly record struct ResponseFraming(BodyMode Mode, long Length, bool BackendCloses, bool ClientCloses, int HeadBytes = 0);

    /// <summary>The most <see cref="RewriteResponseHead"/> writes for a backend head of <paramref name="headLength"/> bytes.</summary>
    private static int ResponseRoom(int headLength, string requestId) => headLength + requestId.Length + HeadWriter.Extra;

    /// <summary>
    /// Writes the client's response head: the backend's status line and fields, without
    /// hop-by-hop fields and the ones `proxy.hideResponseHeaders` names, plus X-Request-Id and,
    /// when the backend sent none, Date. Checks the backend's head first and writes nothing if
    /// it is malformed (Mode Invalid).
    /// </summary>
    private static ResponseFraming RewriteResponseHead(ReadOnlySpan<byte> head, int status, bool headRequest, bool clientClose, string requestId, IReadOnlyList<string> hidden, Span<byte> destination)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = head[..lineEnd];
        foreach (var b in statusLine)
        {
            if ((b < 0x20 && b != '\t') || b == 0x7f)
            {
                return new ResponseFraming(BodyMode.Invalid, 0, true, true);
            }
        }

        long length = -1;
        var chunked = false;
        var otherCoding = false;
        var backendCloses = head[5] == '1' && head[7] == '0';
        var hasDate = false;

        // First pass: check every line and read the framing, so nothing is written for a bad head.
        var fields = head[(lineEnd + 2)..^2];
        foreach (var range in new LineRanges(fields))
        {
            var line = fields[range];
            var field = Http1Head.ParseField(line, ResponseFieldLimits);
            if (field.Error is not null)
            {
                return new ResponseFraming(BodyMode.Invalid, 0, true, true);
            }

            var colon = line.IndexOf((byte)':');
            var name = line[..colon];
            var value = line[field.Value];
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (value.IsEmpty || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0 || value.Length > 18)
                {
                    return new ResponseFraming(BodyMode.Invalid, 0, true, true);
                }

                var parsed = long.Parse(value, provider: System.Globalization.CultureInfo.InvariantCulture);
                if (length >= 0 && parsed != length)
                {
                    return new ResponseFraming(BodyMode.Invalid, 0, true, true);
                }

                length = parsed;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                var last = value.LastIndexOf((byte)',');
                chunked = Ascii.EqualsIgnoreCase(value[(last + 1)..].Trim(" \t"u8), "chunked"u8);
                otherCoding |= !chunked;
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                foreach (var token in value.Split((byte)','))
                {
                    var t = value[token].Trim(" \t"u8);
                    backendCloses |= Ascii.EqualsIgnoreCase(t, "close"u8);
                    if (Ascii.EqualsIgnoreCase(t, "keep-alive"u8))
                    {
                        backendCloses = false;
                    }
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "date"u8))
            {
                hasDate = true;
            }
        }

        var mode = headRequest || status is 204 or 304 ? BodyMode.None
            : chunked && !otherCoding ? BodyMode.Chunked
            : otherCoding ? BodyMode.UntilClose
            : length >= 0 ? BodyMode.Length
            : BodyMode.UntilClose;
        if (chunked && length >= 0 && mode != BodyMode.None)
        {
            // Both framings on one response: the response-splitting shape; refuse it.
            return new ResponseFraming(BodyMode.Invalid, 0, true, true);
        }

        var clientCloses = clientClose || mode == BodyMode.UntilClose;

        // Second pass: write (no longer than the backend's head, less what is dropped, plus ours:
        // the destination holds ResponseRoom).
        var writer = new HeadWriter(destination);
        writer.Write("HTTP/1.1"u8);
        writer.Write(statusLine[8..]);
        writer.Write(Crlf);
        foreach (var range in new LineRanges(fields))
        {
            var line = fields[range];
            var name = line[..line.IndexOf((byte)':')];
            if (IsHopByHop(name) || IsHidden(name, hidden))
            {
                continue;
            }

            writer.Write(line);
            writer.Write(Crlf);
        }

        writer.Write("X-Request-Id: "u8);
        writer.WriteAscii(requestId);
        writer.Write(Crlf);
        if (!hasDate)
        {
            writer.Write("Date: "u8);
            writer.WriteAscii(DateValue.Now);
            writer.Write(Crlf);
        }

        if (clientCloses)
        {
            writer.Write("Connection: close\r\n"u8);
        }

        writer.Write(Crlf);
        return new ResponseFraming(mode, Math.Max(0, length), backendCloses, clientCloses, writer.Position);
    }

    private static bool IsHopByHop(ReadOnlySpan<byte> name)
        => Ascii.EqualsIgnoreCase(name, "connection"u8) || Ascii.EqualsIgnoreCase(name, "keep-alive"u8)
           || Ascii.EqualsIgnoreCase(name, "proxy-connection"u8) || Ascii.EqualsIgnoreCase(name, "upgrade"u8);

    private static bool IsHidden(ReadOnlySpan<byte> name, IReadOnlyList<string> hidden)
    {
        // By index: a foreach over the interface would allocate an enumerator per header line.
        for (var i = 0; i < hidden.Count; i++)
        {
            var h = hidden[i];
            if (name.Length == h.Length && Ascii.EqualsIgnoreCase(name, h))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The request to the backend: the client's head with Portico's changes (see the full path's
    /// transforms). <paramref name="generatedId"/> replaces the client's X-Request-Id when it sent none valid.
    /// </summary>
    private static int WriteRequest(FastConnection state, byte[] target, string? generatedId, ProxySettings proxy, UnderscoreHeaderPolicy underscores)
    {
        var head = state.Head;
        var bytes = head.Bytes.Span;
        var peer = state.Peer;
        var trusted = proxy.TrustedProxies.Count > 0 && ClientAddress.IsTrusted(peer, proxy.TrustedProxies);
        var writer = new HeadWriter(target);
        var requestLineEnd = bytes.IndexOf("\r\n"u8) + 2;
        writer.Write(bytes[..requestLineEnd]);
        // A value sent blank counts as not sent, as on the full path (ForwardedHeadersTransform).
        Range forwardedProto = default, forwardedHost = default, forwarded = default;
        var sentFor = false;
        foreach (var line in head.Lines)
        {
            switch (line.Kind)
            {
                case FieldKind.Connection or FieldKind.HopByHop:
                    continue;
                case FieldKind.Underscore when underscores == UnderscoreHeaderPolicy.Drop:
                    continue;
                case FieldKind.RequestId when generatedId is not null:
                    continue;
                case FieldKind.XForwardedFor:
                    // Several X-Forwarded-For lines are one list; they are joined below.
                    sentFor |= line.ValueStart < line.ValueEnd;
                    continue;
                case FieldKind.XForwardedProto:
                    forwardedProto = line.ValueStart..line.ValueEnd;
                    continue;
                case FieldKind.XForwardedHost:
                    forwardedHost = line.ValueStart..line.ValueEnd;
                    continue;
                case FieldKind.Forwarded:
                    forwarded = line.ValueStart..line.ValueEnd;
                    continue;
            }

            writer.Write(bytes[line.Start..line.End]);
            writer.Write(Crlf);
        }

        if (generatedId is not null)
        {
            writer.Write("X-Request-Id: "u8);
            writer.WriteAscii(generatedId);
            writer.Write(Crlf);
        }

        var host = bytes[head.Host];
        if (proxy.ForwardedHeaders.HasFlag(ForwardedHeaderKinds.XForwarded))
        {
            writer.Write("X-Forwarded-For: "u8);
            if (trusted && sentFor)
            {
                foreach (var line in head.Lines)
                {
                    if (line.Kind == FieldKind.XForwardedFor && line.ValueStart < line.ValueEnd)
                    {
                        writer.Write(bytes[line.ValueStart..line.ValueEnd]);
                        writer.Write(", "u8);
                    }
                }
            }

            writer.WriteAscii(state.PeerText);
            writer.Write("\r\nX-Forwarded-Proto: "u8);
            if (trusted && !bytes[forwardedProto].IsEmpty)
            {
                writer.Write(bytes[forwardedProto]);
            }
            else
            {
                writer.Write("http"u8);
            }

            writer.Write("\r\nX-Forwarded-Host: "u8);
            writer.Write(trusted && !bytes[forwardedHost].IsEmpty ? bytes[forwardedHost] : host);
            writer.Write(Crlf);
        }

        if (proxy.ForwardedHeaders.HasFlag(ForwardedHeaderKinds.Forwarded))
        {
            writer.Write("Forwarded: "u8);
            if (trusted && !bytes[forwarded].IsEmpty)
            {
                writer.Write(bytes[forwarded]);
                writer.Write(", "u8);
            }

            // RFC 7239 §4, §6: an IPv6 node is bracketed and quoted; a host with a port is quoted.
            writer.Write("for="u8);
            writer.WriteAscii(state.ForwardedNode);
            writer.Write(";proto=http;host="u8);
            var quote = host.Contains((byte)':');
            if (quote)
            {
                writer.Write("\""u8);
            }

            writer.Write(host);
            if (quote)
            {
                writer.Write("\""u8);
            }

            writer.Write(Crlf);
        }

        writer.Write(Crlf);
        return writer.Position;
    }

    /// <summary>Portico's own 502 or 504 page, as the full path writes it (ErrorPage), when the backend failed after it had the request.</summary>
    private async ValueTask<Outcome> AnswerLocallyAsync(
        FastConnection state, FastRoutes.Entry entry, ClusterState cluster, DestinationState destination, string address,
        string requestId, long start, int status, PipeWriter output)
    {
        var route = entry.Route;
        var head = state.Head;
        var routeTimedOut = state.RouteDeadlinePassed;
        var json = Encoding.Latin1.GetString(head[head.Accept]).Contains("json", StringComparison.OrdinalIgnoreCase);
        var (contentType, body) = ErrorPage.Render(status, requestId, json);
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var fields = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {ReasonPhrases(status)}\r\nContent-Type: {contentType}\r\nContent-Length: {bodyBytes.Length}\r\nCache-Control: no-store\r\nDate: {DateValue.Now}\r\nX-Request-Id: {requestId}\r\n");
        var writer = new HeadWriter(output.GetSpan(fields.Length + HeadWriter.Extra));
        writer.Write(fields);
        if (head.Close)
        {
            writer.Write("Connection: close\r\n"u8);
        }

        writer.Write(Crlf);
        output.Advance(writer.Position);
        if (!head.IsHead)
        {
            output.Write(bodyBytes);
        }

        _passive?.Record(cluster, destination, destinationFault: !routeTimedOut, serverError: false);
        var flushed = await FlushAsync(output);
        var reason = status == 504 ? (routeTimedOut ? LocalReason.RouteTimeout : LocalReason.UpstreamTimeout) : LocalReason.UpstreamUnreachable;
        _log.ForwardFailed(route.Id, destination.DestinationId,
            status == 504 ? Yarp.ReverseProxy.Forwarder.ForwarderError.RequestTimedOut : Yarp.ReverseProxy.Forwarder.ForwarderError.ResponseHeaders,
            status == 504 ? "the backend did not answer in time" : "the backend's response head was malformed");
        Finish(state, entry, address, requestId, start, status, head.IsHead ? 0 : bodyBytes.Length, reason);
        return flushed ? Outcome.Done : Outcome.Close;
    }

    private static string ReasonPhrases(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    /// <summary>What the observability stage does at the end of a full-path request: metrics, statistics, access log (passive health was judged before the last flush).</summary>
    /// <param name="address">The destination that answered; null when none did (a cache hit).</param>
    private void Finish(FastConnection state, FastRoutes.Entry entry, string? address, string requestId, long start, int status, long bodyBytes, LocalReason? reason, string? cache = null)
    {
        var route = entry.Route;
        var seconds = _time.GetElapsedTime(start).TotalSeconds;
        var exchange = new RequestExchange
        {
            StartTimestamp = start,
            RequestId = requestId,
            Route = route.Id,
            Cluster = route.Cluster,
            Upstream = address,
            UpstreamSeconds = address is null ? null : seconds,
            Reason = reason,
            Cache = cache,
            ResponseBytes = bodyBytes,
        };
        // The route's series and totals, looked up once per route rather than per request.
        var tallies = entry.Tallies ??= new FastRoutes.RouteTallies(
            _metrics.SeriesOf(route.Id, route.Cluster), _stats.TotalsOf(route.Id, route.Cluster));
        _metrics.RequestFinished(tallies.Series, exchange, status, seconds);
        _metrics.FastPathServed();
        _stats.Record(tallies.Totals, exchange, status, seconds);
        if (_accessLog.Enabled)
        {
            var head = state.Head;
            var target = head[head.Target];
            var query = target.IndexOf((byte)'?');
            _accessLog.Write(new AccessLogRequest(
                ClientOf(state, _config.Current.Settings.Proxy.TrustedProxies),
                Encoding.ASCII.GetString(head[head.Method]),
                Encoding.Latin1.GetString(head[head.Host]),
                Encoding.ASCII.GetString(head[head.Path]),
                query < 0 ? "" : Encoding.ASCII.GetString(target[query..]),
                "HTTP/1.1",
                Encoding.Latin1.GetString(head[head.UserAgent]),
                Encoding.Latin1.GetString(head[head.Referer])), exchange, status, seconds);
        }
    }

    /// <summary>The client the access log names: the peer, or behind trusted proxies the hop X-Forwarded-For vouches for (ClientAddress).</summary>
    private static IPAddress ClientOf(FastConnection state, IReadOnlyList<IPNetwork> trusted)
    {
        if (trusted.Count == 0)
        {
            return state.Peer;
        }

        var head = state.Head;
        var sent = StringValues.Empty;
        foreach (var line in head.Lines)
        {
            if (line.Kind == FieldKind.XForwardedFor)
            {
                sent = StringValues.Concat(sent, Encoding.Latin1.GetString(head[line.ValueStart..line.ValueEnd]));
            }
        }

        return ClientAddress.Resolve(state.Peer, sent, trusted);
    }

    private void Tick()
    {
        var now = Environment.TickCount64;
        FastConnection[] open;
        lock (_open)
        {
            open = [.. _open];
        }

        foreach (var connection in open)
        {
            connection.Check(now);
        }

        _pool.CloseIdle(now);
    }
}
