using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Portico.Transport;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A client socket and, on an <see cref="EventLoop"/> of the test's own, the
/// <see cref="LoopConnection"/> of its accepted end, as LoopListener would make it: for tests of
/// the transport's reads and sends without Kestrel in between.
/// </summary>
internal sealed class LoopPair : IAsyncDisposable
{
    private LoopPair(Socket client, LoopConnection connection)
    {
        Client = client;
        Connection = connection;
    }

    public Socket Client { get; }

    public LoopConnection Connection { get; }

    /// <param name="client">Settings for the client socket before it connects.</param>
    /// <param name="accepted">Settings for the accepted socket before the connection takes it.</param>
    public static async Task<LoopPair> ConnectAsync(EventLoop loop, PipeOptions input, PipeOptions output, Action<Socket>? client = null, Action<Socket>? accepted = null)
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client?.Invoke(socket);
        await socket.ConnectAsync(listener.LocalEndPoint!, ct);
        var taken = await listener.AcceptAsync(ct);
        accepted?.Invoke(taken);

        // The connection owns the descriptor, non-blocking as accept4 gives it to LoopListener;
        // the Socket lets go of it without closing it.
        var fd = (int)taken.SafeHandle.DangerousGetHandle();
        var peer = (IPEndPoint)taken.RemoteEndPoint!;
        Native.SetNonBlocking(fd);
        taken.SafeHandle.SetHandleAsInvalid();
        return new LoopPair(socket, new LoopConnection(fd, peer, loop, input, output));
    }

    /// <summary>
    /// The same with LoopTransport's pipes (64 KiB each way), the client's receive buffer
    /// <paramref name="clientReceiveBuffer"/> and the accepted socket's send buffer
    /// <paramref name="serverSendBuffer"/> bytes when given.
    /// </summary>
    public static Task<LoopPair> ConnectAsync(EventLoop loop, CancellationToken ct, int? clientReceiveBuffer = null, int? serverSendBuffer = null)
    {
        ct.ThrowIfCancellationRequested();
        return ConnectAsync(
            loop,
            Pipe(),
            Pipe(),
            client: c => c.ReceiveBufferSize = clientReceiveBuffer ?? c.ReceiveBufferSize,
            accepted: a => a.SendBufferSize = serverSendBuffer ?? a.SendBufferSize);
    }

    public void Deconstruct(out Socket client, out LoopConnection connection) => (client, connection) = (Client, Connection);

    /// <summary>Pipe options as LoopTransport gives its connections, with 64 KiB each way.</summary>
    public static PipeOptions Pipe()
        => new(MemoryPool<byte>.Shared, PipeScheduler.Inline, PipeScheduler.Inline, 64 * 1024, 32 * 1024, useSynchronizationContext: false);

    /// <summary>Runs <paramref name="work"/> on the loop's thread, after whatever the loop is doing now, and returns what it returned.</summary>
    public static Task<T> OnLoopAsync<T>(EventLoop loop, Func<T> work)
    {
        var probe = new Probe<T>(work);
        loop.Post(probe, 0);
        return probe.Result.Task;
    }

    /// <summary>The client first: a send loop still waiting for it to read then fails and ends.</summary>
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Connection.DisposeAsync();
    }

    private sealed class Probe<T>(Func<T> work) : ILoopMember
    {
        public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnEvents(uint events)
        {
        }

        public void OnPosted(int work1)
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
