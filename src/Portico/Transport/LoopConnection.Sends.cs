using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;

namespace Portico.Transport;

/// <summary>The send side of a <see cref="LoopConnection"/>: the output pipe to the socket.</summary>
internal sealed partial class LoopConnection
{
    private bool _sendsEnded;
    private TaskCompletionSource? _sendsEndedSignal;

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
        ShutDown(failure is null && _shutdownReason is null ? Native.ShutWr : Native.ShutRdWr);

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
}
