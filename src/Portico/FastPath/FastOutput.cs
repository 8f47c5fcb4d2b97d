using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;

namespace Portico.FastPath;

/// <summary>
/// The fast path's socket and pipe I/O, each failure read as an outcome rather than thrown: a
/// backend or client that goes away mid-exchange is a normal end of a request, not an error.
/// </summary>
internal static class FastOutput
{
    /// <summary>Sends all of <paramref name="bytes"/>; false when the backend connection failed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<bool> SendAsync(BackendConnection backend, ReadOnlyMemory<byte> bytes)
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

    /// <summary>One read from the backend: the bytes read, 0 at its end, -1 when the connection failed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<int> ReceiveAsync(BackendConnection backend, Memory<byte> memory)
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
    public static ValueTask<bool> FlushAsync(FastConnection state, PipeWriter output, byte[]? staged, int stagedLength, ReadOnlyMemory<byte> after = default)
    {
        var total = stagedLength + after.Length;
        if (total > 0)
        {
            // Behind TLS or on Kestrel's sockets nothing is staged; what follows goes into the pipe.
            var sent = state.Direct?.TrySendNow(staged.AsSpan(0, stagedLength), after.Span) ?? 0;
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

    /// <summary>
    /// The last flush of a response that came whole. On an HTTP/2 stream it leaves the end to the
    /// stream's (<see cref="StreamOutput.EndAsync"/>), so the body's last DATA frame carries
    /// END_STREAM; elsewhere it is <see cref="FlushAsync(FastConnection, PipeWriter, byte[], int, ReadOnlyMemory{byte})"/>.
    /// </summary>
    public static ValueTask<bool> FinishAsync(FastConnection state, PipeWriter output, byte[]? staged, int stagedLength, ReadOnlyMemory<byte> after)
        => output is StreamOutput stream && staged is null ? stream.EndAsync(after) : FlushAsync(state, output, staged, stagedLength, after);

    /// <summary>Flushes the client's output; false when the client is gone.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<bool> FlushAsync(PipeWriter output)
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
}
