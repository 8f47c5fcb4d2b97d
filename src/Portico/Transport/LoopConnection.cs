using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
internal sealed class LoopConnection : ConnectionContext, ILoopMember, IValueTaskSource,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IMemoryPoolFeature,
    IConnectionLifetimeFeature, IConnectionEndPointFeature, IConnectionSocketFeature
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
    private ValueTask<FlushResult> _pendingFlush;

    // Under _gate.
    private Socket? _socket;
    private EndPoint? _local;
    private bool _closed;
    private bool _shutDown;
    private bool _writeSignaled;
    private bool _writeWaiting;
    private ManualResetValueTaskSourceCore<bool> _writable;

    private bool _sendsEnded;
    private TaskCompletionSource? _sendsEndedSignal;

    private volatile Exception? _shutdownReason;

    // The send side (SendOutput): no state machine held while it waits, only this delegate,
    // left with the output pipe, the writable signal or the loop, and what it waits for. An
    // async send loop parked on the output pipe held about 250 bytes for every idle
    // connection (issue 25).
    private readonly Action _sendReady;
    private SendWait _sendWait;
    private ValueTask<ReadResult> _pendingRead;
    private ReadResult _unsent;

    // True while the send side waits for the output pipe with nothing of its own left to send.
    private volatile bool _sendIdle;

    // Set once, before Kestrel's HTTP/2 processing writes anything (LoopSends).
    private volatile bool _gatherSends;

    private enum SendWait : byte
    {
        Output,
        Writable,
        Loop,
    }

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
        ShutDown();
        _output.Reader.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
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
                // Kestrel stopped reading, or the send side ended (see SendLoopAsync).
                EndInput(null);
                return;
            }

            Receive();
            return;
        }

        Socket? socket;
        lock (_gate)
        {
            _closed = true;
            socket = _socket;
        }

        _loop.Release(_slot);
        if (socket is not null)
        {
            socket.Dispose();
        }
        else
        {
            _ = Native.Close(_fd);
        }

        EndInput(null);
        _closedOnLoop!.TrySetResult();
    }

    private unsafe void Receive()
    {
        var writer = _input.Writer;

        // Read into the loop's buffer, then into the pipe: the pipe takes a block only for bytes
        // that came. Read straight into a block, a read that found nothing (the one after a read
        // that filled its block, an edge for bytes already read) left that block held by the
        // pipe's writer for as long as the connection then waited (issue 25: memory per idle
        // connection). Off the loop (a disposed loop runs posted work on the poster's thread), a
        // buffer of its own.
        var received = _loop.OnLoop ? _loop.ReceiveBuffer : new byte[MinReadSize];
        while (_readReady && !_inputDone)
        {
            nint n;
            fixed (byte* p = received)
            {
                n = Native.Recv(_fd, p, (nuint)received.Length, 0);
            }

            if (n > 0)
            {
                Append(writer, received.AsSpan(0, (int)n));
                if (n < received.Length && !_peerClosed)
                {
                    // The queue is empty: wait for the next edge rather than ask again.
                    _readReady = false;
                }

                var flush = writer.FlushAsync();
                if (!flush.IsCompleted)
                {
                    // Kestrel has not consumed enough: read on when it has.
                    _readPaused = true;
                    _pendingFlush = flush;
                    // Made on the first pause only: most connections never fill their input pipe.
                    flush.GetAwaiter().UnsafeOnCompleted(_resumeRead ??= () => _loop.Post(this, ResumeRead));
                    return;
                }

                if (flush.Result.IsCompleted || flush.Result.IsCanceled)
                {
                    EndInput(null);
                }

                continue;
            }

            if (n == 0)
            {
                EndInput(null);
                return;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Native.EAgain)
            {
                _readReady = false;
                return;
            }

            if (errno != Native.EIntr)
            {
                var error = Errors.Exception(errno);
                EndInput(error.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown
                    ? new ConnectionResetException(error.Message, error)
                    : new IOException(error.Message, error));
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="bytes"/> into the pipe as a read straight into it would have laid
    /// them out: each block the pipe starts has room for at least <see cref="MinReadSize"/>, so a
    /// request head that fits is usually whole in one segment.
    /// </summary>
    private static void Append(PipeWriter writer, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var span = writer.GetSpan(MinReadSize);
            var count = Math.Min(span.Length, bytes.Length);
            bytes[..count].CopyTo(span);
            writer.Advance(count);
            bytes = bytes[count..];
        }
    }

    /// <summary>The client's side is done (end of stream, an error, or our own shutdown).</summary>
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

    private void ShutDown()
    {
        lock (_gate)
        {
            if (_closed || _shutDown)
            {
                return;
            }

            _shutDown = true;
            // Both ways, as Kestrel's socket transport does: the peer sees the end of the
            // stream, and the loop gets an edge that ends the input side.
            Native.Shutdown(_fd, Native.ShutRdWr);
        }
    }

    /// <summary>
    /// Sends what the output pipe holds until it is empty, then leaves <see cref="_sendReady"/>
    /// with the pipe and returns. What flushes the pipe runs the sends on its own thread (the
    /// pipe schedules inline), as an async send loop's continuation ran there.
    /// </summary>
    private void SendOutput()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                _sendIdle = true;
                var read = reader.ReadAsync();
                if (!read.IsCompleted)
                {
                    _pendingRead = read;
                    _sendWait = SendWait.Output;

                    // Nothing may be touched after this: the pipe may run the sends at once.
                    read.GetAwaiter().UnsafeOnCompleted(_sendReady);
                    return;
                }

                _sendIdle = false;
                if (!Send(read.Result, hopped: false))
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            EndSends(e);
        }
    }

    /// <summary>What the send side waited for has come: the output pipe's read, the socket's writability or the loop.</summary>
    private void OnSendReady()
    {
        bool more;
        try
        {
            ReadResult result;
            switch (_sendWait)
            {
                case SendWait.Output:
                    var read = _pendingRead;
                    _pendingRead = default;
                    result = read.GetAwaiter().GetResult();
                    _sendIdle = false;
                    more = Send(result, hopped: false);
                    break;
                case SendWait.Writable:
                    _writable.GetResult(_writable.Version);
                    result = _unsent;
                    _unsent = default;
                    more = Send(result, hopped: true);
                    break;
                default:
                    more = !_output.Reader.TryRead(out result) || Send(result, hopped: true);
                    break;
            }
        }
        catch (Exception e)
        {
            EndSends(e);
            return;
        }

        if (more)
        {
            SendOutput();
        }
    }

    /// <summary>
    /// Sends <paramref name="result"/>: true when all of it went out and the pipe may be read
    /// again; false when the send side waits (for the socket, or for the loop) or has ended.
    /// </summary>
    private bool Send(in ReadResult result, bool hopped)
    {
        var reader = _output.Reader;
        if (result.IsCanceled)
        {
            EndSends(null);
            return false;
        }

        if (!hopped && _gatherSends && !result.Buffer.IsEmpty && !_loop.OnLoop && _loop.Busy)
        {
            // An HTTP/2 stream's flush, from the pool, while the loop is busy: the loop
            // sends it once it has finished the events in hand, with every flush made
            // meanwhile (the other streams' responses, which the pipe appends while
            // nothing reads), in one sendmsg where each would have been a send of its
            // own. Nothing is consumed until then, so a writer still pauses at
            // MaxWriteBuffer. A sleeping loop is not woken for it: its thread would
            // mostly take the core at once and send this flush alone (measured: 1.27x
            // the CPU per h2c request), so the flushing thread sends, as on HTTP/1.x.
            reader.AdvanceTo(result.Buffer.Start);
            _sendWait = SendWait.Loop;
            _loop.Post(this, SendOnLoop);
            return false;
        }

        var buffer = result.Buffer;
        while (!buffer.IsEmpty)
        {
            var sent = TrySend(buffer);
            if (sent > 0)
            {
                buffer = buffer.Slice(sent);
            }
            else if (sent == -Native.EAgain)
            {
                var writable = WaitWritableAsync();
                if (writable.IsCompleted)
                {
                    continue;
                }

                // Nothing is consumed until all of it went out (a writer still pauses at
                // MaxWriteBuffer); the send side goes on when the loop sees the socket writable.
                _unsent = new ReadResult(buffer, isCanceled: false, result.IsCompleted);
                _sendWait = SendWait.Writable;
                writable.GetAwaiter().UnsafeOnCompleted(_sendReady);
                return false;
            }
            else if (sent != -Native.EIntr)
            {
                var e = Errors.Exception((int)-sent);
                throw e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown
                    ? new ConnectionResetException(e.Message, e)
                    : new IOException(e.Message, e);
            }
        }

        reader.AdvanceTo(result.Buffer.End);
        if (result.IsCompleted)
        {
            EndSends(null);
            return false;
        }

        return true;
    }

    /// <summary>The send side is over: Kestrel completed the output, it was aborted, or a send failed (<paramref name="failure"/>).</summary>
    private void EndSends(Exception? failure)
    {
        Exception? error = null;
        if (failure is ConnectionResetException)
        {
            // The client went away: an ordinary end, as Kestrel's socket transport treats it.
            // The output completes without an error, so a writer (HTTP/2's frame writer among
            // them) sees a finished connection rather than an exception it does not expect.
            _shutdownReason ??= failure;
        }
        else if (failure is not null)
        {
            error = failure;
            _shutdownReason ??= new ConnectionAbortedException(failure.Message, failure);
        }

        _sendIdle = false;
        _output.Reader.Complete(error);
        ShutDown();

        // As Kestrel's socket transport does: a read paused because Kestrel has not consumed
        // the input would otherwise never see the end (the shutdown's edge finds it paused),
        // and the connection would never be reported closed.
        _input.Writer.CancelPendingFlush();
        TaskCompletionSource? disposing;
        lock (_gate)
        {
            _sendsEnded = true;
            disposing = _sendsEndedSignal;
        }

        disposing?.TrySetResult();
    }

    /// <summary>
    /// From now on a flush made off the loop while the loop is busy is sent by the loop, once it
    /// has finished the events in hand, with whatever else was flushed by then. For HTTP/2, whose streams' responses are
    /// flushed one by one from the thread pool (Kestrel's frame writer), often several within the
    /// same few microseconds; not for HTTP/1.x, which has one response at a time and would only
    /// gain a thread hop. Called before the connection's protocol writes anything.
    /// </summary>
    internal void GatherSends() => _gatherSends = true;

    /// <summary>
    /// Sends <paramref name="bytes"/>, then <paramref name="then"/>, now, around the output pipe,
    /// when that cannot reorder what the connection sends: the caller is on the loop, and the
    /// send side waits with nothing unsent. (On the loop, a flush runs the send side inline
    /// until the pipe is empty or a send would block, and a send that would block keeps it busy
    /// until the loop sees the socket writable; no other thread resumes it but to end it.)
    /// Returns how many bytes went out, which may be fewer than offered; the caller writes the
    /// rest into the pipe. A send that would block or fails returns 0: the send side then meets
    /// the same and deals with it as with any write. Never on a connection whose flushes the loop
    /// gathers: there a pool thread may have flushed bytes the send side has not yet taken.
    /// </summary>
    public unsafe int TrySendNow(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> then = default)
    {
        if (!_sendIdle || !_loop.OnLoop || _gatherSends)
        {
            return 0;
        }

        nint n;
        fixed (byte* p = bytes)
        fixed (byte* q = then)
        {
            if (then.IsEmpty)
            {
                n = Native.Send(_fd, p, (nuint)bytes.Length, Native.MsgNoSignal);
            }
            else
            {
                var vectors = stackalloc Native.IoVec[2];
                vectors[0] = new Native.IoVec { Base = p, Length = (nuint)bytes.Length };
                vectors[1] = new Native.IoVec { Base = q, Length = (nuint)then.Length };
                var message = new Native.MsgHdr { Iov = vectors, IovLength = 2 };
                n = Native.SendMsg(_fd, &message, Native.MsgNoSignal);
            }
        }

        return n > 0 ? (int)n : 0;
    }

    /// <summary>Bytes sent, or the negated errno.</summary>
    private unsafe long TrySend(in ReadOnlySequence<byte> buffer)
    {
        nint n;
        if (buffer.IsSingleSegment)
        {
            var span = buffer.FirstSpan;
            fixed (byte* p = span)
            {
                n = Native.Send(_fd, p, (nuint)span.Length, Native.MsgNoSignal);
            }
        }
        else
        {
            var vectors = stackalloc Native.IoVec[MaxVectors];

            // On the stack: an array kept for the connection's life held 400 bytes for each
            // connection that ever sent from more than one block (issue 25).
            var handles = default(SendHandles);
            var count = 0;
            try
            {
                foreach (var segment in buffer)
                {
                    if (segment.IsEmpty)
                    {
                        continue;
                    }

                    handles[count] = segment.Pin();
                    vectors[count] = new Native.IoVec { Base = handles[count].Pointer, Length = (nuint)segment.Length };
                    if (++count == MaxVectors)
                    {
                        break;
                    }
                }

                var message = new Native.MsgHdr { Iov = vectors, IovLength = (nuint)count };
                n = Native.SendMsg(_fd, &message, Native.MsgNoSignal);
            }
            finally
            {
                for (var i = 0; i < count; i++)
                {
                    handles[i].Dispose();
                }
            }
        }

        return n >= 0 ? n : -Marshal.GetLastPInvokeError();
    }

    private ValueTask WaitWritableAsync()
    {
        lock (_gate)
        {
            if (_writeSignaled)
            {
                _writeSignaled = false;
                return default;
            }

            _writable.Reset();
            _writeWaiting = true;
            return new ValueTask(this, _writable.Version);
        }
    }

    private void SignalWritable()
    {
        bool wake;
        lock (_gate)
        {
            wake = _writeWaiting;
            _writeWaiting = false;
            _writeSignaled = !wake;
        }

        if (wake)
        {
            _writable.SetResult(true);
        }
    }

    void IValueTaskSource.GetResult(short token) => _writable.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _writable.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _writable.OnCompleted(continuation, state, token, flags);

    [InlineArray(MaxVectors)]
    private struct SendHandles
    {
        private MemoryHandle _first;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

/// <summary>Connection ids in Kestrel's form (13 characters of base 32 from a counter seeded by the clock).</summary>
internal static class ConnectionIds
{
    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
    private static long _last = DateTime.UtcNow.Ticks;

    public static string Next()
    {
        var id = Interlocked.Increment(ref _last);
        return string.Create(13, id, static (chars, value) =>
        {
            for (var i = 12; i >= 0; i--)
            {
                chars[i] = Digits[(int)(value & 31)];
                value >>= 5;
            }
        });
    }
}
