using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Portico.Transport;

/// <summary>
/// A backend connection on an <see cref="EventLoop"/>, for the fast path: sends are tried at
/// once; a receive is tried only when the loop has seen data arrive since the socket was last
/// found empty, so the read that follows a request waits for the response's edge instead of
/// failing with EAGAIN first. One receive and one send may be pending at a time.
/// </summary>
internal sealed class LoopSocket : ILoopMember, IDisposable
{
    private readonly Socket _socket;
    private readonly int _fd;
    private readonly EventLoop _loop;
    private readonly Lock _gate = new();
    private readonly Waiter _reader = new();
    private readonly Waiter _writer = new();
    private int _slot = -1;

    // Under _gate: edges seen, and the edge count at which each direction was last found empty.
    private long _inEdges;
    private long _inDrainedAt;
    private long _outEdges;
    private long _outDrainedAt;
    private Memory<byte> _readInto;
    private bool _readPending;
    private bool _writePending;
    private bool _closed;
    private bool _aborted;
    private bool _peerClosed;

    private LoopSocket(Socket socket, EventLoop loop)
    {
        _socket = socket;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        _loop = loop;
    }

    public EventLoop Loop => _loop;

    /// <summary>Opens a connection; fails with a <see cref="SocketException"/>, or <see cref="OperationCanceledException"/> after <paramref name="timeout"/>.</summary>
    public static async ValueTask<LoopSocket> ConnectAsync(IPEndPoint endPoint, EventLoop loop, TimeSpan timeout)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = new LoopSocket(socket, loop);
        try
        {
            Native.SetNonBlocking(connection._fd);
            var started = connection.StartConnect(endPoint);
            if (started != 0 && started != Native.EInProgress)
            {
                throw Errors.Exception(started);
            }

            connection._slot = loop.Register(connection._fd, connection);
            if (started == Native.EInProgress)
            {
                using var cancel = new CancellationTokenSource(timeout);
                using (cancel.Token.UnsafeRegister(static s => ((LoopSocket)s!).Abort(), connection))
                {
                    await connection.WaitWritableAsync();
                }

                cancel.Token.ThrowIfCancellationRequested();
                // .NET gives SO_ERROR as a SocketError already, not as the errno.
                var error = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != 0)
                {
                    throw new SocketException(error);
                }
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Bytes sent (all of them unless the peer fails), or a <see cref="SocketException"/>.</summary>
    public async ValueTask<int> SendAsync(ReadOnlyMemory<byte> bytes)
    {
        var total = bytes.Length;
        while (!bytes.IsEmpty)
        {
            var n = TrySend(bytes.Span);
            if (n > 0)
            {
                bytes = bytes[(int)n..];
            }
            else if (n == -Native.EAgain)
            {
                await WaitWritableAsync();
            }
            else if (n != -Native.EIntr)
            {
                throw Errors.Exception((int)-n);
            }
        }

        return total;
    }

    /// <summary>Bytes received, 0 at the end of the stream, or a <see cref="SocketException"/>.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> memory)
    {
        while (true)
        {
            long edges;
            lock (_gate)
            {
                if (_aborted)
                {
                    return new ValueTask<int>(0);
                }

                if (_inEdges == _inDrainedAt && !_peerClosed)
                {
                    _readInto = memory;
                    _readPending = true;
                    _reader.Reset();
                    return _reader.Task;
                }

                edges = _inEdges;
            }

            var n = TryReceive(memory.Span, edges);
            if (n != -Native.EAgain)
            {
                return n >= 0 ? new ValueTask<int>((int)n) : ValueTask.FromException<int>(Errors.Exception((int)-n));
            }
        }
    }

    /// <summary>
    /// Whether a kept-alive connection is fit for the next request: the backend has not closed
    /// it, and nothing arrived after the last response (a body sent late after a HEAD, 204 or
    /// 304 would otherwise be read as the next response's head). Costs a read only when an edge
    /// came after the socket was last found empty.
    /// </summary>
    public unsafe bool IsQuiet()
    {
        long edges;
        lock (_gate)
        {
            if (_closed || _aborted || _peerClosed)
            {
                return false;
            }

            if (_inEdges == _inDrainedAt)
            {
                return true;
            }

            edges = _inEdges;
        }

        // Anything but EAGAIN (bytes, the end of the stream, an error) makes it unfit; EAGAIN
        // marks the socket empty as of those edges, as any read finding it so does.
        byte probe;
        return TryReceive(new Span<byte>(&probe, 1), edges, Native.MsgPeek) == -Native.EAgain;
    }

    /// <summary>Shuts the socket down under a pending exchange (a timeout passed): a pending receive gets the end of the stream; the owner still disposes.</summary>
    public void Abort()
    {
        bool read;
        bool write;
        lock (_gate)
        {
            if (_closed || _aborted)
            {
                return;
            }

            _aborted = true;
            read = _readPending;
            write = _writePending;
            _readPending = false;
            _writePending = false;
            _readInto = default;
            Native.Shutdown(_fd, Native.ShutRdWr);
        }

        if (write)
        {
            _writer.Complete(0);
        }

        if (read)
        {
            _reader.Complete(0);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
        }

        // Closed first: once the descriptor is closed epoll reports nothing more for it, so the
        // slot cannot be reused while an event for this socket is still to come.
        _socket.Dispose();
        if (_slot >= 0)
        {
            _loop.Release(_slot);
        }
    }

    public void OnEvents(uint events)
    {
        Memory<byte> readInto = default;
        var read = false;
        var write = false;
        long edges = 0;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if ((events & (Native.EpollIn | Native.EpollRdHup | Native.EpollErr | Native.EpollHup)) != 0)
            {
                // After the peer's end of stream, reads never block and no further edge comes.
                _peerClosed |= (events & (Native.EpollRdHup | Native.EpollErr | Native.EpollHup)) != 0;
                edges = ++_inEdges;
                if (_readPending)
                {
                    _readPending = false;
                    readInto = _readInto;
                    _readInto = default;
                    read = true;
                }
            }

            if ((events & (Native.EpollOut | Native.EpollErr | Native.EpollHup)) != 0)
            {
                ++_outEdges;
                write = _writePending;
                _writePending = false;
            }
        }

        if (write)
        {
            _writer.Complete(0);
        }

        if (read)
        {
            var n = TryReceive(readInto.Span, edges);
            if (n == -Native.EAgain)
            {
                // Nothing after all (the edge was for something else): wait for the next one.
                lock (_gate)
                {
                    if (_inEdges == _inDrainedAt && !_peerClosed)
                    {
                        _readInto = readInto;
                        _readPending = true;
                        return;
                    }
                }

                n = TryReceive(readInto.Span, edges);
            }

            if (n >= 0)
            {
                _reader.Complete((int)n);
            }
            else
            {
                _reader.Fail(Errors.Exception((int)-n));
            }
        }
    }

    public void OnPosted(int work)
    {
    }

    private unsafe int StartConnect(IPEndPoint endPoint)
    {
        var address = endPoint.Serialize();
        var bytes = new byte[address.Size];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = address[i];
        }

        fixed (byte* p = bytes)
        {
            return Native.Connect(_fd, p, bytes.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    private ValueTask<int> WaitWritableAsync()
    {
        lock (_gate)
        {
            if (_outEdges != _outDrainedAt || _aborted)
            {
                return new ValueTask<int>(0);
            }

            _writePending = true;
            _writer.Reset();
            return _writer.Task;
        }
    }

    /// <summary>Bytes read (a short read marks the socket empty as of <paramref name="edges"/>), or the negated errno.</summary>
    private unsafe long TryReceive(Span<byte> span, long edges, int flags = 0)
    {
        nint n;
        fixed (byte* p = span)
        {
            n = Native.Recv(_fd, p, (nuint)span.Length, flags);
        }

        if (n > 0 && n < span.Length && !Volatile.Read(ref _peerClosed))
        {
            lock (_gate)
            {
                _inDrainedAt = edges;
            }

            return n;
        }

        if (n >= 0)
        {
            return n;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Native.EAgain)
        {
            lock (_gate)
            {
                _inDrainedAt = edges;
            }
        }

        return -errno;
    }

    private unsafe long TrySend(ReadOnlySpan<byte> span)
    {
        var edges = Volatile.Read(ref _outEdges);
        nint n;
        fixed (byte* p = span)
        {
            n = Native.Send(_fd, p, (nuint)span.Length, Native.MsgNoSignal);
        }

        if (n >= 0)
        {
            return n;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Native.EAgain)
        {
            lock (_gate)
            {
                _outDrainedAt = edges;
            }
        }

        return -errno;
    }

    /// <summary>A reusable awaitable for one pending operation at a time.</summary>
    private sealed class Waiter : IValueTaskSource<int>
    {
        private ManualResetValueTaskSourceCore<int> _core;

        public ValueTask<int> Task => new(this, _core.Version);

        public void Reset() => _core.Reset();

        public void Complete(int result) => _core.SetResult(result);

        public void Fail(Exception error) => _core.SetException(error);

        public int GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }
}
