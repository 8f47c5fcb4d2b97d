using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Portico.Transport;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A <see cref="LoopConnection"/> on a test's own <see cref="EventLoop"/>, with a real client
/// socket at the other end: for what the transport does with bytes, below Kestrel.
/// </summary>
internal static class LoopPair
{
    /// <summary>
    /// Connects a client (its receive buffer <paramref name="clientReceiveBuffer"/> bytes when
    /// given) and wraps the accepted socket (its send buffer <paramref name="serverSendBuffer"/>)
    /// as LoopTransport would: non-blocking, owned by the connection, with 64 KiB pipes each way.
    /// </summary>
    public static async Task<(Socket Client, LoopConnection Connection)> ConnectAsync(EventLoop loop, CancellationToken ct, int? clientReceiveBuffer = null, int? serverSendBuffer = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (clientReceiveBuffer is { } receive)
        {
            client.ReceiveBufferSize = receive;
        }

        await client.ConnectAsync(listener.LocalEndPoint!, ct);
        var accepted = await listener.AcceptAsync(ct);
        if (serverSendBuffer is { } send)
        {
            accepted.SendBufferSize = send;
        }

        // The Socket lets go of the descriptor without closing it: the connection owns it now.
        var fd = (int)accepted.SafeHandle.DangerousGetHandle();
        var peer = (IPEndPoint)accepted.RemoteEndPoint!;
        Native.SetNonBlocking(fd);
        accepted.SafeHandle.SetHandleAsInvalid();
        return (client, new LoopConnection(fd, peer, loop, Pipe(), Pipe()));
    }

    /// <summary>Runs <paramref name="work"/> on the loop's thread and returns what it returned.</summary>
    public static Task<T> OnLoopAsync<T>(EventLoop loop, Func<T> work)
    {
        var probe = new Probe<T>(work);
        loop.Post(probe, 0);
        return probe.Result.Task;
    }

    /// <summary>Pipe options as LoopTransport gives its connections, with 64 KiB each way.</summary>
    private static PipeOptions Pipe()
        => new(MemoryPool<byte>.Shared, PipeScheduler.Inline, PipeScheduler.Inline, 64 * 1024, 32 * 1024, useSynchronizationContext: false);

    private sealed class Probe<T>(Func<T> work) : ILoopMember
    {
        public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnEvents(uint events)
        {
        }

        public void OnPosted(int ignored)
        {
            try
            {
                Result.SetResult(work());
            }
            catch (Exception e)
            {
                Result.SetException(e);
            }
        }
    }
}
