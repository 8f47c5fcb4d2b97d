using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Portico.Transport;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// The event-loop transport's listening socket, without Kestrel: connections that come while
/// nobody waits in AcceptAsync stay in the backlog, without the loop being woken for them again
/// and again, and are taken in turn when asked for; one that comes while a caller waits completes
/// its wait; every accepted socket has Nagle off (inherited from the listening socket, not set
/// per connection).
/// </summary>
public sealed class LoopListenerTests
{
    [Fact]
    public async Task Connections_that_came_while_nobody_waited_stay_in_the_backlog_without_waking_the_loop_and_are_accepted_in_turn()
    {
        var ct = TestContext.Current.CancellationToken;
        using var transport = new LoopTransport(new ServiceCollection().BuildServiceProvider(), NullLogger<LoopTransport>.Instance);
        var listener = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), ct);
        var clients = new List<Socket>();
        var accepted = new List<ConnectionContext>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(listener.EndPoint, ct);
            }

            // Nobody waits: the loop sleeps. A listening socket watched level-triggered, and still
            // watched while nobody takes its backlog, would be reported at every wait of the loop,
            // which would return from epoll_wait at once, thousands of times in 200 ms.
            await Task.Delay(50, ct);
            var before = transport.Loops.Sum(loop => loop.Wakeups);
            await Task.Delay(200, ct);
            var wakeups = transport.Loops.Sum(loop => loop.Wakeups) - before;
            Assert.True(wakeups <= 5, $"the loops woke {wakeups} times in 200 ms while nobody took the backlog");

            for (var i = 0; i < 3; i++)
            {
                accepted.Add((await listener.AcceptAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct))!);
            }

            Assert.Equal(
                clients.Select(c => c.LocalEndPoint!.ToString()).Order(),
                accepted.Select(c => c.RemoteEndPoint!.ToString()).Order());

            // And one that comes while a caller waits completes its wait.
            var waiting = listener.AcceptAsync(ct).AsTask();
            Assert.False(waiting.IsCompleted);
            var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            clients.Add(late);
            await late.ConnectAsync(listener.EndPoint, ct);
            var last = (await waiting.WaitAsync(TimeSpan.FromSeconds(10), ct))!;
            accepted.Add(last);
            Assert.Equal(late.LocalEndPoint!.ToString(), last.RemoteEndPoint!.ToString());
        }
        finally
        {
            await CloseAsync(listener, clients, accepted);
        }
    }

    [Fact]
    public async Task An_accepted_connection_sends_without_nagle()
    {
        var ct = TestContext.Current.CancellationToken;
        using var transport = new LoopTransport(new ServiceCollection().BuildServiceProvider(), NullLogger<LoopTransport>.Instance);
        var listener = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), ct);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepted = new List<ConnectionContext>();
        try
        {
            var waiting = listener.AcceptAsync(ct).AsTask();
            await client.ConnectAsync(listener.EndPoint, ct);
            accepted.Add((await waiting.WaitAsync(TimeSpan.FromSeconds(10), ct))!);

            Assert.True(((LoopConnection)accepted[0]).Socket.NoDelay, "the accepted socket has Nagle's algorithm on");
        }
        finally
        {
            await CloseAsync(listener, [client], accepted);
        }
    }

    private static async Task CloseAsync(IConnectionListener listener, IEnumerable<Socket> clients, IEnumerable<ConnectionContext> accepted)
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }

        foreach (var connection in accepted)
        {
            await connection.DisposeAsync();
        }

        await listener.DisposeAsync();
    }
}
