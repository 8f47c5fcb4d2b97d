using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Portico.Transport;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// A real connection the event-loop transport accepted on 127.0.0.1 from a client socket, with
/// no server around it: for tests that drive the transport's own objects (a dispatcher, a disposal).
/// </summary>
internal sealed class AcceptedLoopConnection : IAsyncDisposable
{
    private readonly LoopTransport _transport;
    private readonly IConnectionListener _listener;

    private AcceptedLoopConnection(LoopTransport transport, IConnectionListener listener, Socket client, LoopConnection connection)
    {
        _transport = transport;
        _listener = listener;
        Client = client;
        Connection = connection;
    }

    public Socket Client { get; }

    public LoopConnection Connection { get; }

    public static async Task<AcceptedLoopConnection> AcceptAsync(CancellationToken ct)
    {
        var transport = new LoopTransport(new ServiceCollection().BuildServiceProvider(), NullLogger<LoopTransport>.Instance);
        var listener = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), ct);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptAsync(ct).AsTask();
        await client.ConnectAsync(listener.EndPoint, ct);
        var accepted = (LoopConnection)(await accepting.WaitAsync(TimeSpan.FromSeconds(10), ct))!;
        return new AcceptedLoopConnection(transport, listener, client, accepted);
    }

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        Client.Dispose();
        _transport.Dispose();
    }
}
