using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Portico.Transport;

/// <summary>
/// An HTTP/1.x connection as Kestrel's request processing sees it, where the client's end of
/// stream is not the end of the connection. Both transports report "connection closed" as soon
/// as a read returns 0 bytes, and Kestrel then aborts the request in progress and its response.
/// But a client may write its request and shut down its sending side (shutdown(SHUT_WR)) and
/// still read: HTTP/1.1 lets the server answer it (RFC 9112 §9.6 closes a connection one side
/// at a time; RFC 9293 §3.6 keeps the other direction open). So the closing is passed on only
/// when the client is gone for good: the connection was reset, or the socket left CLOSE_WAIT
/// (a reset came back for what was sent, or the connection ended), checked once a second
/// while the request runs on a half-closed connection.
/// </summary>
internal sealed class HalfClosedConnection : ConnectionContext
{
    // Linux: IPPROTO_TCP, TCP_INFO, and tcp_info.tcpi_state's CLOSE_WAIT (the peer sent FIN, we did not).
    private const int IpProtoTcp = 6;
    private const int TcpInfo = 11;
    private const byte TcpCloseWait = 8;
    private static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(1);

    private readonly ConnectionContext _inner;
    private readonly CancellationTokenSource _closed = new();
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private CancellationTokenRegistration _innerClosed;
    private ITimer? _recheck;
    private bool _done;

    private HalfClosedConnection(ConnectionContext inner, TimeProvider time)
    {
        _inner = inner;
        _time = time;
        ConnectionClosed = _closed.Token;
    }

    /// <summary>Runs <paramref name="next"/> (Kestrel's HTTP/1.x processing) on the connection as described above.</summary>
    public static ConnectionDelegate Wrap(ConnectionDelegate next, TimeProvider time) => async connection =>
    {
        var wrapped = new HalfClosedConnection(connection, time);
        wrapped._innerClosed = connection.ConnectionClosed.UnsafeRegister(static s => ((HalfClosedConnection)s!).OnInnerClosed(), wrapped);
        try
        {
            await next(wrapped);
        }
        finally
        {
            wrapped.Finish();
        }
    };

    public override string ConnectionId
    {
        get => _inner.ConnectionId;
        set => _inner.ConnectionId = value;
    }

    public override IFeatureCollection Features => _inner.Features;

    public override IDictionary<object, object?> Items
    {
        get => _inner.Items;
        set => _inner.Items = value;
    }

    public override IDuplexPipe Transport
    {
        get => _inner.Transport;
        set => _inner.Transport = value;
    }

    public override EndPoint? LocalEndPoint
    {
        get => _inner.LocalEndPoint;
        set => _inner.LocalEndPoint = value;
    }

    public override EndPoint? RemoteEndPoint
    {
        get => _inner.RemoteEndPoint;
        set => _inner.RemoteEndPoint = value;
    }

    public override void Abort(ConnectionAbortedException abortReason) => _inner.Abort(abortReason);

    /// <summary>The connection is the transport's; Kestrel's dispatcher disposes it, not this view.</summary>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void OnInnerClosed()
    {
        if (HalfClosed())
        {
            lock (_gate)
            {
                if (!_done)
                {
                    _recheck = _time.CreateTimer(static s => ((HalfClosedConnection)s!).Recheck(), this, RecheckEvery, RecheckEvery);
                }
            }

            return;
        }

        Fire();
    }

    private void Recheck()
    {
        if (!HalfClosed())
        {
            Fire();
        }
    }

    /// <summary>True while the client has only ended its sending side: our side can still send.</summary>
    private bool HalfClosed()
    {
        if (_inner.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            return false;
        }

        Span<byte> info = stackalloc byte[8];
        try
        {
            return socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info) >= 1 && info[0] == TcpCloseWait;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return false;
        }
    }

    private void Fire()
    {
        lock (_gate)
        {
            if (_done)
            {
                return;
            }

            _recheck?.Dispose();
            _recheck = null;

            // Under the gate, so Finish cannot dispose the source while its callbacks run.
            _closed.Cancel();
        }
    }

    private void Finish()
    {
        lock (_gate)
        {
            _done = true;
            _recheck?.Dispose();
            _recheck = null;
        }

        _innerClosed.Dispose();
        _closed.Dispose();
    }
}
