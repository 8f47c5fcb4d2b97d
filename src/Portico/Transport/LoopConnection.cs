using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Portico.Transport;

/// <summary>
/// A client connection on an <see cref="EventLoop"/>, as Kestrel sees it: two pipes and the
/// usual connection features. The loop reads the socket when epoll reports an edge, into the
/// input pipe, and Kestrel's processing of what it read runs right there (the pipes schedule
/// inline); a short read means the socket's queue is empty, so no read is tried again until the
/// next edge (the read that .NET's sockets try first, and that fails with EAGAIN once per
/// request on a keep-alive connection, is never made). On HTTP/1.x whatever flushes the output
/// pipe sends on its own thread; on HTTP/2 a flush made off the loop while the loop is busy is
/// sent by the loop, with whatever else was flushed by then (<see cref="GatherSends"/>). A send that would block waits for
/// the loop to see the socket writable. The fast path may also send a response's first bytes
/// around the pipe (<see cref="TrySendNow"/>).
/// </summary>
internal sealed partial class LoopConnection : ConnectionContext, ILoopMember, IValueTaskSource,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IMemoryPoolFeature,
    IConnectionLifetimeFeature, IConnectionEndPointFeature, IConnectionSocketFeature, ILingeringCloseFeature
{
    private const int MinReadSize = 2048;
    private const int MaxVectors = 16;
    private const int ResumeRead = 1;
    private const int CloseDescriptor = 2;
    private const int SendOnLoop = 3;

    private readonly EventLoop _loop;
    private readonly int _fd;
    private readonly Pipe _input;
    private readonly Pipe _output;

    /// <summary>
    /// Stands for "the connection ended before anyone asked for <see cref="ConnectionClosed"/>":
    /// cancelled from the start, never disposed.
    /// </summary>
    private static readonly CancellationTokenSource EndedUnwatched = Ended();

    // Completed on the loop, and its continuation (the rest of DisposeAsync and Kestrel's
    // teardown of the connection: a few removals and counters) runs right there: handing it to
    // the thread pool cost a wake-up of a pool thread per connection (issue 25). Made when the
    // connection is disposed, not held by every open one.
    private TaskCompletionSource? _closedOnLoop;
    private readonly Lock _gate = new();
    private Action? _resumeRead;
    private CancellationTokenSource? _closedSource;
    private readonly int _slot;
    private IDictionary<object, object?>? _items;

    // The loop's own state.
    private bool _readReady;
    private bool _readPaused;
    private bool _inputDone;
    private bool _peerClosed;
    private bool _streamEnded;

    // Set on the loop (a read paused at a full input pipe that ended unconsumed), and before
    // DisposeAsync posts the close (bytes left in the pipe, ClientMaySend).
    private bool _leftUnread;
    private ValueTask<FlushResult> _pendingFlush;

    // Under _gate.
    private Socket? _socket;
    private EndPoint? _local;
    private bool _closed;
    private int _shutDown;
    private bool _writeSignaled;
    private bool _writeWaiting;
    private ManualResetValueTaskSourceCore<bool> _writable;

    private volatile Exception? _shutdownReason;

    /// <param name="fd">An accepted, non-blocking descriptor, which the connection owns from here on.</param>
    /// <param name="remote">The peer, as accept(2) gave it.</param>
    public LoopConnection(int fd, IPEndPoint? remote, EventLoop loop, PipeOptions inputOptions, PipeOptions outputOptions)
    {
        _loop = loop;
        _fd = fd;
        RemoteEndPoint = remote;
        ConnectionId = ConnectionIds.Next();
        MemoryPool = inputOptions.Pool;
        _input = new Pipe(inputOptions);
        _output = new Pipe(outputOptions);
        Transport = new DuplexPipe(_input.Reader, _output.Writer);

        Features = new ConnectionFeatures(this);

        // From here on the loop may read (what arrives waits in the input pipe for Kestrel). If
        // registering fails, nothing has started that would outlive the socket.
        _slot = loop.Register(_fd, this);
        _sendReady = OnSendReady;
        SendOutput();
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; }

    /// <summary>
    /// Made when first asked for: on the fast path most connections end without anyone watching,
    /// and then nothing need be cancelled on the thread pool (<see cref="EndInput"/>). A
    /// connection that ended before the first ask gets a token already cancelled.
    /// </summary>
    public override CancellationToken ConnectionClosed
    {
        get
        {
            var source = Volatile.Read(ref _closedSource);
            if (source is null)
            {
                var made = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _closedSource, made, null) ?? made;
                if (!ReferenceEquals(source, made))
                {
                    made.Dispose();
                }
            }

            return source.Token;
        }

        set => throw new NotSupportedException("the transport's ConnectionClosed is its own");
    }

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    /// <summary>
    /// For what only the socket tells (HalfClosedConnection reads its TCP state). Made on first
    /// use: the fast path never asks, and a .NET Socket costs system calls and objects per connection.
    /// </summary>
    public Socket Socket
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_closed, this);
                return _socket ??= new Socket(new SafeSocketHandle(_fd, ownsHandle: true));
            }
        }
    }

    /// <summary>Read from the socket when first asked for (getsockname(2)): on a wildcard listener only the socket knows it.</summary>
    public override EndPoint? LocalEndPoint
    {
        get
        {
            lock (_gate)
            {
                return _local ??= _closed ? null : SocketAddresses.LocalOf(_fd);
            }
        }

        set
        {
            lock (_gate)
            {
                _local = value;
            }
        }
    }

    /// <summary>The loop this connection's socket is on (the fast path keeps its backend sockets there too).</summary>
    public EventLoop Loop => _loop;

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _shutdownReason ??= abortReason;
        ShutDown(Native.ShutRdWr);
        _output.Reader.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        LookForUnread();
        _input.Reader.Complete();
        _output.Writer.Complete();
        TaskCompletionSource? sending = null;
        lock (_gate)
        {
            if (!_sendsEnded)
            {
                sending = _sendsEndedSignal = new TaskCompletionSource();
            }
        }

        if (sending is not null)
        {
            await sending.Task;
        }

        var closed = _closedOnLoop = new TaskCompletionSource();
        _loop.Post(this, CloseDescriptor);
        await closed.Task;
        if (_closedSource is { } source && !ReferenceEquals(source, EndedUnwatched))
        {
            source.Dispose();
        }
    }

    public void OnEvents(uint events)
    {
        if ((events & (Native.EpollOut | Native.EpollErr | Native.EpollHup)) != 0)
        {
            SignalWritable();
        }

        if ((events & (Native.EpollIn | Native.EpollRdHup | Native.EpollErr | Native.EpollHup)) != 0)
        {
            // Once the peer has closed its side, reads never block again (the rest, then the
            // end of the stream) and no further edge comes, so a short read proves nothing.
            _peerClosed |= (events & (Native.EpollRdHup | Native.EpollErr | Native.EpollHup)) != 0;
            _readReady = true;
            if (!_readPaused)
            {
                Receive();
            }
        }
    }

    public void OnPosted(int work)
    {
        if (work == SendOnLoop)
        {
            if (_loop.OnLoop)
            {
                _sendReady();
            }
            else
            {
                // The loop has ended and the poster runs this, inside the send side's own call:
                // it goes on from the pool instead, not from under its own feet.
                ThreadPool.UnsafeQueueUserWorkItem(static s => s(), _sendReady, preferLocal: true);
            }

            return;
        }

        if (work == ResumeRead)
        {
            _readPaused = false;
            FlushResult result;
            try
            {
                result = _pendingFlush.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                EndInput(e);
                return;
            }
            finally
            {
                _pendingFlush = default;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                // Kestrel stopped reading, or the send side ended (see SendLoopAsync), with the
                // input pipe still full: the client was sending more than was read.
                _leftUnread = true;
                EndInput(null);
                return;
            }

            Receive();
            return;
        }

        Socket? socket;
        bool writeShutDown;
        lock (_gate)
        {
            _closed = true;
            socket = _socket;
            writeShutDown = _shutDown == Native.ShutWr;
        }

        // A clean end (only the write side shut down) with the client's stream not over and
        // the client perhaps still sending (the loop stopped reading at a full input pipe, the
        // last read filled the buffer or an edge came after it, bytes were left in the pipe, or
        // ClientMaySend): closed now, bytes unread would make it a reset that cuts the
        // response's end and the client's sending. Nothing costs a system call here: on the common path
        // (a request read whole, its response sent) none of these holds and the close is at once.
        if (!(writeShutDown && socket is null && !_streamEnded && (_leftUnread || _readPaused || _readReady)
            && _loop.OnLoop && _loop.Lingering.TryBegin(_fd, _slot)))
        {
            _loop.Release(_slot);
            if (socket is not null)
            {
                socket.Dispose();
            }
            else
            {
                _ = Native.Close(_fd);
            }
        }

        EndInput(null);
        _closedOnLoop!.TrySetResult();
    }

    public void ClientMaySend() => _leftUnread = true;

    /// <summary>
    /// Whether Kestrel left bytes it had not consumed in the input pipe (the rest of a request
    /// head or body it refused, requests pipelined behind one that asked for the close): the
    /// client was still sending when the connection ended, so more may come (<see cref="LingeringCloses"/>).
    /// A look at the pipe, no system call; a reader Kestrel completed itself tells nothing.
    /// </summary>
    private void LookForUnread()
    {
        try
        {
            if (_input.Reader.TryRead(out var result))
            {
                _leftUnread |= !result.Buffer.IsEmpty;
                _input.Reader.AdvanceTo(result.Buffer.Start);
            }
        }
        catch (Exception)
        {
            // Completed already (InvalidOperationException), or the input ended with an error
            // nobody read to its end (a reset, an abort, a failed read: EndInput), which every
            // read throws again: nothing to look at, and no lingering after a reset or an abort.
            // Let through, it kept the connection from closing: its descriptor, its slot on the
            // loop, its pipes' memory and its place in the dispatcher's count (the server's stop
            // then waited out its grace period).
        }
    }

    private void EndInput(Exception? error)
    {
        if (_inputDone)
        {
            return;
        }

        _inputDone = true;
        _input.Writer.Complete(_shutdownReason ?? error);

        // Whoever watches the token hears of the end, from the pool as Kestrel's own transport
        // does (its callbacks must not run in the loop); when nobody asked for it yet, the
        // token anyone asks for from now on is one already cancelled, and no pool thread wakes.
        if (Interlocked.CompareExchange(ref _closedSource, EndedUnwatched, null) is { } watched)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => FireClosed(s), watched, preferLocal: false);
        }
    }

    private static CancellationTokenSource Ended()
    {
        var source = new CancellationTokenSource();
        source.Cancel();
        return source;
    }

    private static void FireClosed(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: nobody is listening.
        }
    }

    /// <summary>
    /// <see cref="Native.ShutWr"/> when the response is done (the send side ended cleanly): the
    /// peer sees the end of the stream after the last byte, and what the client still sends can
    /// be read and dropped before the close (<see cref="LingeringCloses"/>); the descriptor's
    /// close follows at once on the common path. <see cref="Native.ShutRdWr"/> on an abort or a
    /// failed send, also after a write-side shutdown: as Kestrel's socket transport does, the
    /// loop then gets an edge that ends the input side.
    /// </summary>
    private void ShutDown(int how)
    {
        lock (_gate)
        {
            if (_closed || _shutDown == Native.ShutRdWr || _shutDown == how)
            {
                return;
            }

            _shutDown = how;
            Native.Shutdown(_fd, how);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
