using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Portico.Transport;

/// <summary>
/// A listening socket on an <see cref="EventLoop"/>: connections are taken with accept4(2)
/// straight into non-blocking, close-on-exec descriptors, where Kestrel asks for them or, when
/// it waits, on the loop at the listening socket's edge; Kestrel's accept loop then runs on
/// from there. .NET's Socket.AcceptAsync took each on its own epoll thread, built a Socket and
/// two end points, and woke that thread per connection besides the loop's (issue 25: about a
/// fifth of the CPU of a new connection per request went to that thread). A connection's
/// Socket is made only if something asks for it (<see cref="LoopConnection.Socket"/>).
/// With a <see cref="LoopDispatcher"/> the listener starts its connections itself, on the loop
/// at the edge, and Kestrel's accept loop only waits for the listener's end.
/// </summary>
internal sealed unsafe class LoopListener : IConnectionListener, ILoopMember, IValueTaskSource<ConnectionContext?>
{
    /// <summary>How long to leave connections in the backlog when out of descriptors or memory, as nginx pauses accepting.</summary>
    private static readonly TimeSpan RetryAfter = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly int _fd;
    private readonly EventLoop _loop;
    private readonly Func<int, IPEndPoint?, LoopConnection> _connect;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly int _slot;
    private readonly LoopDispatcher? _dispatcher;
    private ManualResetValueTaskSourceCore<ConnectionContext?> _waiter;

    // Under _gate.
    private bool _waiting;
    private bool _stopped;
    private ITimer? _retry;

    // Under _gate: accepting failed for want of descriptors or memory and has not succeeded
    // since (logged once each way, not every retry).
    private bool _paused;

    /// <param name="socket">Bound and listening.</param>
    /// <param name="connect">Makes the connection of an accepted descriptor; it owns the descriptor once made.</param>
    /// <param name="dispatcher">Starts the connections; null hands them to Kestrel's AcceptAsync.</param>
    public LoopListener(Socket socket, EventLoop loop, Func<int, IPEndPoint?, LoopConnection> connect, TimeProvider time, ILogger log, LoopDispatcher? dispatcher = null)
    {
        _dispatcher = dispatcher;
        _socket = socket;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        _loop = loop;
        _connect = connect;
        _time = time;
        _log = log;
        EndPoint = socket.LocalEndPoint!;
        Native.SetNonBlocking(_fd);
        _slot = loop.Register(_fd, this);
    }

    public EndPoint EndPoint { get; }

    public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_stopped && _dispatcher is null && TryAccept() is { } accepted)
            {
                return new ValueTask<ConnectionContext?>(accepted);
            }

            if (_stopped)
            {
                return new ValueTask<ConnectionContext?>((ConnectionContext?)null);
            }

            // The backlog is empty: the next connection's edge completes this (OnEvents); with a
            // dispatcher, the listener's end does.
            _waiter.Reset();
            _waiting = true;
            return new ValueTask<ConnectionContext?>(this, _waiter.Version);
        }
    }

    /// <summary>On the loop: the listening socket's edge, a connection (or several) arrived.</summary>
    public void OnEvents(uint events) => AcceptWaiting();

    public void OnPosted(int work)
    {
    }

    /// <summary>Kestrel's first step of a stop: no more connections, and those the dispatcher started are asked to close within the grace period <paramref name="cancellationToken"/> ends.</summary>
    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        Stop();
        _dispatcher?.BeginClose(cancellationToken);
        return default;
    }

    /// <summary>Kestrel's last step of a stop: waits for the connections the dispatcher started, as Kestrel waits for its own before this.</summary>
    public ValueTask DisposeAsync()
    {
        Stop();
        return _dispatcher?.DisposeAsync() ?? default;
    }

    ConnectionContext? IValueTaskSource<ConnectionContext?>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ConnectionContext?>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<ConnectionContext?>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _waiter.OnCompleted(continuation, state, token, flags);

    /// <summary>Gives a waiting AcceptAsync the next connection, if one is there; Kestrel's accept loop resumes on this thread.</summary>
    private void AcceptWaiting()
    {
        if (_dispatcher is not null)
        {
            StartAccepted(_dispatcher);
            return;
        }

        LoopConnection? accepted;
        lock (_gate)
        {
            if (!_waiting || _stopped || (accepted = TryAccept()) is null)
            {
                return;
            }

            _waiting = false;
        }

        _waiter.SetResult(accepted);
    }

    /// <summary>Takes the backlog's connections and starts each on this thread (the loop's, at the edge) up to its first wait.</summary>
    private void StartAccepted(LoopDispatcher dispatcher)
    {
        while (true)
        {
            LoopConnection? accepted;
            lock (_gate)
            {
                if (_stopped || (accepted = TryAccept()) is null)
                {
                    return;
                }
            }

            dispatcher.Start(accepted);
        }
    }

    /// <summary>Under _gate: the next connection of the backlog, or null when it is empty (or cannot be taken now).</summary>
    private LoopConnection? TryAccept()
    {
        var address = stackalloc byte[SocketAddresses.MaxLength];
        while (true)
        {
            var length = SocketAddresses.MaxLength;
            var fd = Native.Accept4(_fd, address, &length, Native.SockNonblock | Native.SockCloexec);
            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is Native.EMFile or Native.ENFile or Native.ENoBufs or Native.ENoMem)
                {
                    // The connection stays in the backlog; no edge would come for it, so look
                    // again shortly rather than spin on the error.
                    _retry ??= _time.CreateTimer(static s => ((LoopListener)s!).Retry(), this, RetryAfter, Timeout.InfiniteTimeSpan);
                    if (!_paused)
                    {
                        // As nginx logs accept4() failing: the operator must raise the limit.
                        _paused = true;
                        TransportLog.AcceptPaused(_log, EndPoint, errno switch
                        {
                            Native.EMFile => "the process is out of file descriptors (raise LimitNOFILE / ulimit -n)",
                            Native.ENFile => "the system is out of file descriptors (fs.file-max)",
                            _ => "out of memory for sockets",
                        }, errno);
                    }

                    return null;
                }

                if (errno == Native.EAgain)
                {
                    return null;
                }

                // EINTR, or the peer gave up before we took it (ECONNABORTED, EPROTO and the
                // like, which accept(2) says to treat as EAGAIN and retry): the next one.
                continue;
            }

            if (_paused)
            {
                _paused = false;
                TransportLog.AcceptResumed(_log, EndPoint);
            }

            // Nagle is off already: the socket inherits TCP_NODELAY from the listening socket (LoopTransport.BindAsync).
            try
            {
                return _connect(fd, SocketAddresses.ToEndPoint(address, length));
            }
            catch (SocketException)
            {
                // The loop refused the descriptor: the connection is dropped, the next one taken.
                _ = Native.Close(fd);
            }
        }
    }

    private void Retry()
    {
        lock (_gate)
        {
            _retry?.Dispose();
            _retry = null;
        }

        AcceptWaiting();
    }

    private void Stop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            _retry?.Dispose();
            _retry = null;
            _loop.Release(_slot);
            _socket.Dispose();
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
        }

        _waiter.SetResult(null);
    }
}
