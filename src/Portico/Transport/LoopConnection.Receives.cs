using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace Portico.Transport;

/// <summary>The receive side of a <see cref="LoopConnection"/>: the socket to the input pipe, on the loop.</summary>
internal sealed partial class LoopConnection
{
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
                _streamEnded = true;
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
                _streamEnded = true;
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
}
