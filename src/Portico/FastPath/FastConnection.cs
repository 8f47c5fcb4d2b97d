using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Forwarding;
using Portico.Tls;
using Portico.Transport;

namespace Portico.FastPath;

/// <summary>
/// One client connection on the fast path: its reused request head, who the peer is, and the
/// deadline the handler's clock enforces (the keep-alive idle timeout between requests; the
/// route and activity timeouts while a backend has the request). An HTTP/2 request has one of
/// its own (<see cref="FastConnection(HttpContext)"/>): its stream is the client's connection;
/// the next request of the same HTTP/2 connection may reuse it (<see cref="Begin"/>).
/// </summary>
/// <remarks>
/// The clock and the request in hand agree on the backend exchange under a lock on this object
/// (nothing else locks it): a Lock of its own was 40 bytes more for every idle connection (issue 25).
/// </remarks>
internal sealed class FastConnection : ICloseRequestWatcher
{
    private readonly ConnectionContext? _connection;
    private HttpContext? _stream;
    private long _deadline = long.MaxValue;
    private long _routeDeadline = long.MaxValue;
    private volatile Phase _phase = Phase.Busy;
    private volatile BackendConnection? _backend;
    private FastCluster? _cluster;
    private long _requests;
    private RequestHead? _head;
    private FastEncoder? _encoder;
    private volatile bool _timedOut;
    private volatile bool _closeRequested;

    public FastConnection(ConnectionContext connection)
    {
        _connection = connection;
        Peer = ClientAddress.Normalize((connection.RemoteEndPoint as IPEndPoint)?.Address) ?? IPAddress.None;
        var transport = connection.Features.Get<LoopConnection>();
        Https = connection.Features.Get<ITlsConnectionFeature>() is not null;

        // Behind TLS the socket carries records, not the response: what is sent must go through
        // the encrypting output pipe, never straight to the socket.
        Direct = Https ? null : transport;
        Encrypted = Https ? connection.Features.Get<EncryptedInput>() : null;
        Loop = transport?.Loop;
        Protocol = "HTTP/1.1";
    }

    /// <summary>An HTTP/2 request: its stream stands for the connection, and its response goes out through the request's features (<see cref="StreamOutput"/>).</summary>
    public FastConnection(HttpContext stream)
    {
        _stream = stream;
        Peer = ClientAddress.Normalize(stream.Connection.RemoteIpAddress) ?? IPAddress.None;
        Https = stream.Features.Get<ITlsConnectionFeature>() is not null;
        Loop = stream.Features.Get<LoopConnection>()?.Loop;
        Protocol = "HTTP/2";
    }

    /// <summary>An HTTP/2 request of the connection this state was made for begins (and the previous one is over).</summary>
    public void Begin(HttpContext? stream) => _stream = stream;

    /// <summary>On a TLS connection: the encrypted input the request loop waits on between requests (<see cref="EncryptedInput"/>).</summary>
    public EncryptedInput? Encrypted { get; }

    /// <summary>Cancelled when the client's connection (or HTTP/2 stream) is gone, as the full path's RequestAborted.</summary>
    public CancellationToken Closed => _connection?.ConnectionClosed ?? _stream?.RequestAborted ?? default;

    /// <summary>The protocol the client spoke, as the full path's HttpRequest.Protocol (per request: HTTP/1.0 or HTTP/1.1 on one connection).</summary>
    public string Protocol { get; set; }

    /// <summary>The client connection when it is on Portico's transport, which can send around its output pipe; null behind TLS.</summary>
    public LoopConnection? Direct { get; }

    /// <summary>The client speaks TLS to this listener: the scheme its requests are forwarded, cached and mapped back with is https.</summary>
    public bool Https { get; }

    /// <summary>The client's scheme, as the full path's HttpRequest.Scheme.</summary>
    public string Scheme => Https ? "https" : "http";

    /// <summary>The event loop the client connection is on, if any; backend connections are kept on it too.</summary>
    public EventLoop? Loop { get; }

    public enum Phase
    {
        Busy,
        Idle,
        Backend,
    }

    /// <summary>The head of the request in hand, borrowed on first use and given back by <see cref="ReleaseHead"/>.</summary>
    public RequestHead Head => _head ??= RequestHeadPool.Rent();

    /// <summary>What the current request's stages add to its heads (header rules, HSTS, client certificate fields); lent with <see cref="Head"/>.</summary>
    public FastFields Fields => Head.Fields;

    /// <summary>The encoder of the current response's body when the route's compression encodes it; made on first use, its arrays held only while a response is encoded.</summary>
    public FastEncoder Encoder => _encoder ??= new();

    /// <summary>The current request's retries on other destinations, for its record; reset once recorded.</summary>
    public int Retries { get; set; }

    /// <summary>The cache miss the current request forwards, if it is one (its outcome goes into the access log and the cache metric).</summary>
    public FastMiss? Miss { get; set; }

    /// <summary>Set when the cache hands the current request over (not a fresh hit, nor a miss the fast path takes): the reason counted.</summary>
    public bool CacheHandedOver { get; set; }

    /// <summary>
    /// When the current request's latest attempt on a destination began (a FastRecorder
    /// timestamp): that destination's latency and the access log's upstreamTime run from here,
    /// as the full path times each attempt, not the request.
    /// </summary>
    public long AttemptStart { get; set; }

    /// <summary>The client's address, written into a forwarded request's fields as it is (no text of it kept: most connections forward one request).</summary>
    public IPAddress Peer { get; }

    public bool CloseRequested => _closeRequested;

    /// <summary>The clock ended the current backend exchange.</summary>
    public bool TimedOut => _timedOut;

    public bool RouteDeadlinePassed => Environment.TickCount64 >= Volatile.Read(ref _routeDeadline);

    /// <summary>
    /// The request in hand is done with its head: it goes back to the pool, so a connection
    /// waiting for its next request holds none (issue 25: memory per idle connection).
    /// </summary>
    public void ReleaseHead()
    {
        if (_head is { } head)
        {
            _head = null;
            RequestHeadPool.Return(head);
        }
    }

    /// <summary>Server shutdown: finish the request in hand, then close.</summary>
    public void RequestClose()
    {
        _closeRequested = true;
        if (_phase == Phase.Idle)
        {
            CancelIdleRead();
        }
    }

    void ICloseRequestWatcher.OnCloseRequested() => RequestClose();

    /// <summary>Wakes the request loop's wait for the next request, on the encrypted input too (TLS).</summary>
    private void CancelIdleRead()
    {
        _connection?.Transport.Input.CancelPendingRead();
        Encrypted?.Reader.CancelPendingRead();
    }

    /// <summary>Kestrel's own format, connection id and request number, so ids look alike on both paths.</summary>
    public string NextRequestId()
    {
        if (_stream is not null)
        {
            // Kestrel's id for the stream, which the full path would use.
            return _stream.TraceIdentifier;
        }

        var number = ++_requests;
        var id = _connection!.ConnectionId;
        if (number > uint.MaxValue)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{id}:{number:X8}");
        }

        // Written whole each time: an "id:" prefix kept for the next request was a string of
        // about 56 bytes held by every idle connection (issue 25).
        return string.Create(id.Length + 9, (id, (uint)number), static (span, s) =>
        {
            s.id.CopyTo(span);
            span[s.id.Length] = ':';
            s.Item2.TryFormat(span[(s.id.Length + 1)..], out _, "X8", CultureInfo.InvariantCulture);
        });
    }

    public void Arm(Phase phase, TimeSpan timeout)
    {
        var now = Environment.TickCount64;
        var deadline = phase switch
        {
            Phase.Idle => now + (long)timeout.TotalMilliseconds,
            Phase.Backend when _cluster is { } cluster => Math.Min(now + (long)cluster.ActivityTimeout.TotalMilliseconds, Volatile.Read(ref _routeDeadline)),
            _ => long.MaxValue,
        };
        Volatile.Write(ref _deadline, deadline);
        _phase = phase;
        if (phase == Phase.Idle && _closeRequested)
        {
            CancelIdleRead();
        }
    }

    /// <summary>A backend exchange begins (with its connection) or ends (null).</summary>
    public void Exchange(BackendConnection? backend, FastCluster? cluster)
    {
        if (backend is null)
        {
            _backend = null;
            _cluster = null;
            Volatile.Write(ref _routeDeadline, long.MaxValue);
            Arm(Phase.Busy, default);
            return;
        }

        if (_cluster is null)
        {
            Volatile.Write(ref _routeDeadline, cluster!.RouteTimeout is { } t ? Environment.TickCount64 + (long)t.TotalMilliseconds : long.MaxValue);
        }

        // Each attempt has its own activity timeout (a retry after a timeout starts afresh); the
        // route's deadline above spans them all. Armed first, so the clock cannot end this
        // attempt on the last one's deadline.
        _cluster = cluster;
        Arm(Phase.Backend, default);
        lock (this)
        {
            _timedOut = false;
            _backend = backend;
        }
    }

    /// <summary>
    /// The exchange with the backend is over (the response's last bytes may still be on their
    /// way to the client): the clock no longer touches the backend connection, which may go back
    /// to the pool and serve another request. False if the clock ended the exchange first.
    /// </summary>
    public bool Detach()
    {
        lock (this)
        {
            _backend = null;
            return !_timedOut;
        }
    }

    /// <summary>Whether the current deadline has passed (the clock then calls <see cref="Check"/>).</summary>
    public bool Due(long now) => now >= Volatile.Read(ref _deadline);

    /// <summary>Called by the clock about once a second.</summary>
    public void Check(long now)
    {
        if (!Due(now))
        {
            return;
        }

        switch (_phase)
        {
            case Phase.Idle:
                _connection?.Abort(new ConnectionAbortedException("keep-alive timeout"));
                break;
            case Phase.Backend:
                BackendConnection? backend;
                lock (this)
                {
                    backend = _timedOut ? null : _backend;
                    _timedOut = true;
                }

                if (backend is not null)
                {
                    backend.Abort();
                }
                else
                {
                    // Waiting on the client, not the backend: it stopped reading the response
                    // (or the backend's abort did not end the exchange). As nginx's send_timeout; on
                    // HTTP/2 the stream is reset, not the connection its neighbours share.
                    _connection?.Abort(new ConnectionAbortedException("the client stopped reading the response"));
                    _stream?.Abort();
                }

                break;
        }
    }
}
