using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Portico.IntegrationTests.Infrastructure;
using Portico.Transport;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// Portico's event-loop transport (src/Portico/Transport): it reads a socket only when epoll
/// reports new data and takes a short read to mean the socket is empty, so these cover the
/// cases where that reasoning could lose bytes or an end of stream. The whole suite also runs
/// with PORTICO_TRANSPORT=sockets (scripts/test.sh), where Kestrel's own transport is the
/// reference for the same expectations.
/// </summary>
public sealed class TransportTests
{
    internal static string Config(string url) => $$"""
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app:
            destinations: [{{url}}]
        """;

    /// <summary>A backend handler answering with a Content-Length, so the body ends the text as written.</summary>
    private static RequestDelegate Answer(Func<HttpRequest, string> text) => ctx =>
    {
        var bytes = Encoding.UTF8.GetBytes(text(ctx.Request));
        ctx.Response.ContentLength = bytes.Length;
        return ctx.Response.Body.WriteAsync(bytes).AsTask();
    };

    /// <summary>A backend handler answering every request with <paramref name="body"/>.</summary>
    private static RequestDelegate Answer(byte[] body) => ctx =>
    {
        ctx.Response.ContentLength = body.Length;
        return ctx.Response.Body.WriteAsync(body).AsTask();
    };

    [Fact]
    public async Task A_request_and_the_end_of_the_stream_in_one_write_get_the_response_and_then_the_close()
    {
        // The request and the client's FIN arrive together: one edge. The short read of the
        // request must not stop the transport from reading on to the end of the stream, or the
        // connection would stay open. A client's end of stream is only the end of its sending
        // (HalfCloseTests), so both paths answer it, on either transport, and then close.
        await using var backend = await TestBackend.StartAsync("b1", Answer(_ => "b1"));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, TestContext.Current.CancellationToken);
        await client.SendAsync(Encoding.ASCII.GetBytes($"GET /x HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n\r\n"), TestContext.Current.CancellationToken);
        client.Shutdown(SocketShutdown.Send);

        var raw = await RawHttp.ReadToCloseAsync(client, TimeSpan.FromSeconds(15));

        Assert.True(raw.Closed, "the proxy kept the connection open after the client's end of stream");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", raw.Text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nb1", raw.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_that_resets_its_connection_mid_request_leaves_nothing_for_the_stop_to_abort(bool fastPath)
    {
        // The reset ends the transport's input with an error that every read of it throws again;
        // the connection's disposal looked at that input (for bytes left unread) and threw, so
        // the connection was never closed and the server's stop waited for it, then aborted it.
        await using var backend = await TestBackend.StartAsync("b1", Answer(_ => "b1"));
        var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath);
        var ct = TestContext.Current.CancellationToken;
        try
        {
            using var admin = new HttpClient();
            using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, ct);
                await client.SendAsync(Encoding.ASCII.GetBytes($"GET /x HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n\r\n"), ct);
                var answer = new byte[4096];
                var read = 0;
                while (!Encoding.ASCII.GetString(answer, 0, read).EndsWith("\r\n\r\nb1", StringComparison.Ordinal))
                {
                    var n = await client.ReceiveAsync(answer.AsMemory(read), ct).AsTask().WaitAsync(TimeSpan.FromSeconds(15), ct);
                    Assert.True(n > 0, "the proxy closed the connection before its answer");
                    read += n;
                }

                await client.SendAsync(Encoding.ASCII.GetBytes($"GET /y HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n"), ct);
                client.LingerState = new LingerOption(true, 0);
                client.Close();
            }

            await Poll.UntilAsync(async () =>
                new PrometheusText(await admin.GetStringAsync(new Uri(proxy.AdminAddress!, "/metrics"), ct)).Value("portico_active_connections") == 0,
                "the reset connection's pipeline to end");
        }
        finally
        {
            await proxy.DisposeAsync();
        }

        Assert.Empty(proxy.Logs.Messages(6008));
    }

    [Fact]
    public async Task An_aborted_connection_is_closed_when_disposed()
    {
        // An abort (Kestrel's data-rate timeouts, the stop's end of the grace period) ends the
        // input with its ConnectionAbortedException, which every read throws again: the disposal
        // must close the descriptor all the same.
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;
        await using var accepted = await AcceptedLoopConnection.AcceptAsync(ct);
        var connection = accepted.Connection;
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = connection.ConnectionClosed.Register(() => ended.TrySetResult());
        connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("aborted by the test"));
        await ended.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        await connection.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Throws<ObjectDisposedException>(() => connection.Socket);
    }

    [Fact]
    public async Task A_head_larger_than_one_read_arrives_whole()
    {
        // 24 KB of header in one write: several reads on one edge, each filling its buffer.
        var value = new string('v', 24 * 1024);
        await using var backend = await TestBackend.StartAsync("b1", Answer(r => r.Headers["X-Big"].ToString().Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));

        var raw = await RawHttp.SendAsync(proxy.Address, $"GET /x HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\nX-Big: {value}\r\nConnection: close\r\n\r\n");

        Assert.Equal(200, raw.Status);
        Assert.EndsWith("\r\n\r\n" + value.Length, raw.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_starts_reading_late_gets_every_byte_of_a_large_response()
    {
        // 16 MiB cannot fit in the socket buffers, so the proxy's sends would block and must
        // wait for the socket to become writable again, then resume where they stopped.
        var body = RandomNumberGenerator.GetBytes(16 << 20);
        await using var backend = await TestBackend.StartAsync("b1", Answer(body));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, TestContext.Current.CancellationToken);
        await client.SendAsync(Encoding.ASCII.GetBytes($"GET /big HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\nConnection: close\r\n\r\n"), TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        var raw = await RawHttp.ReadToCloseAsync(client, TimeSpan.FromSeconds(60));

        Assert.True(raw.Closed);
        var text = raw.Text;
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(raw.Bytes.AsSpan(headEnd)));
    }

    [Fact]
    public async Task An_http2_client_that_vanishes_mid_response_ends_its_connection_quietly()
    {
        // The client closes its socket with a large response's data unread, so the kernel resets
        // the connection and the proxy's next send fails (ECONNRESET / EPIPE). That is a client
        // going away, an everyday event: Kestrel's HTTP/2 frame writer must see a finished
        // connection, not an exception it logs as its event loop failing.
        var body = RandomNumberGenerator.GetBytes(8 << 20);
        await using var backend = await TestBackend.StartAsync("b1", Answer(body));
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              h2: { address: "127.0.0.1:0", protocols: [h2c] }
            {{Config(backend.Url)}}
            """);
        using var connections = new ProxyCounters(proxy, "portico.active.connections");

        for (var i = 0; i < 3; i++)
        {
            var handler = new SocketsHttpHandler();
            using (var client = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact })
            {
                using var response = await client.GetAsync(new Uri(proxy.Address, "/big"), HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
                Assert.Equal(HttpVersion.Version20, response.Version);
                var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
                await stream.ReadExactlyAsync(new byte[16 * 1024], TestContext.Current.CancellationToken);
                handler.Dispose();
            }

            // The proxy still serves a new client.
            using var next = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var whole = await next.GetAsync(new Uri(proxy.Address, "/big"), TestContext.Current.CancellationToken);
            Assert.Equal(body.Length, (await whole.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).Length);
        }

        // Every connection closed (the proxy's connection middleware has returned): whatever its
        // HTTP/2 handling would log, it has.
        await Poll.UntilAsync(() => connections.Observe("portico.active.connections") == 0, "the proxy to close every client connection");
        var failures = proxy.Logs.Lines.Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error).ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Pipelined_requests_in_one_write_are_each_answered_in_order()
    {
        await using var backend = await TestBackend.StartAsync("b1", Answer(r => r.Path.Value!));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        var host = proxy.Address.Authority;

        var raw = await RawHttp.SendAsync(proxy.Address,
            $"GET /one HTTP/1.1\r\nHost: {host}\r\n\r\nGET /two HTTP/1.1\r\nHost: {host}\r\n\r\nGET /three HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");

        Assert.True(raw.Closed);
        Assert.Equal(3, raw.Text.Split("HTTP/1.1 200 OK\r\n").Length - 1);
        var one = raw.Text.IndexOf("\r\n\r\n/one", StringComparison.Ordinal);
        var two = raw.Text.IndexOf("\r\n\r\n/two", StringComparison.Ordinal);
        var three = raw.Text.IndexOf("\r\n\r\n/three", StringComparison.Ordinal);
        Assert.True(one > 0 && two > one && three > two, raw.Text);
    }

    [Fact]
    public async Task Bytes_sent_around_the_output_pipe_never_overtake_bytes_waiting_in_it()
    {
        // LoopConnection.TrySendNow sends straight to the socket (the fast path's first write of
        // a response). Here 1 MiB waits in the output pipe for a client that does not read, then,
        // on the loop (so the loop cannot see the socket become writable meanwhile), the client
        // reads enough to make room and a byte is offered around the pipe: it must be refused,
        // or it would reach the client ahead of the megabyte. Once the pipe is empty it is sent.
        var ct = TestContext.Current.CancellationToken;
        using var loop = new Portico.Transport.EventLoop(99, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await using var pair = await LoopPair.ConnectAsync(loop, ct, clientReceiveBuffer: 8 * 1024, serverSendBuffer: 8 * 1024);
        var (client, connection) = pair;
        var first = new byte[1 << 20];
        Array.Fill(first, (byte)'a');
        var writing = connection.Transport.Output.WriteAsync(first, ct).AsTask();
        await Task.Delay(200, ct);
        Assert.False(writing.IsCompleted, "the megabyte went out although the client read nothing");

        var (read, refused) = await LoopPair.OnLoopAsync(loop, () =>
        {
            var buffer = new byte[256 * 1024];
            var n = client.Receive(buffer);
            Thread.Sleep(100);
            return (n, connection.TrySendNow("B"u8));
        });
        Assert.True(read > 0);
        Assert.Equal(0, refused);

        var received = (long)read;
        var chunk = new byte[64 * 1024];
        while (received < first.Length)
        {
            var n = await client.ReceiveAsync(chunk, SocketFlags.None, ct);
            Assert.True(Array.IndexOf(chunk, (byte)'B', 0, n) < 0, $"the byte sent around the pipe arrived {received + Array.IndexOf(chunk, (byte)'B', 0, n)} bytes in");
            received += n;
        }

        await writing.WaitAsync(TimeSpan.FromSeconds(15), ct);
        Assert.Equal(first.Length, received);
        var (_, sent) = await LoopPair.OnLoopAsync(loop, () => (0, connection.TrySendNow("B"u8)));
        Assert.Equal(1, sent);
        Assert.Equal(1, await client.ReceiveAsync(chunk, SocketFlags.None, ct));
        Assert.Equal((byte)'B', chunk[0]);
    }

    [Fact]
    public async Task The_listener_gives_each_connection_its_peer_and_local_end_points_and_a_waiting_accept_ends_when_unbound()
    {
        // LoopListener takes connections with accept4 on the loop and reads the end points from
        // the kernel's socket addresses itself: on a dual-mode wildcard listener, an IPv4 and an
        // IPv6 client each get their own peer and local address, as .NET's Socket reported them.
        var ct = TestContext.Current.CancellationToken;
        using var transport = new Portico.Transport.LoopTransport(new ServiceCollection().BuildServiceProvider(), NullLogger<Portico.Transport.LoopTransport>.Instance);
        var listener = await transport.BindAsync(new IPEndPoint(IPAddress.IPv6Any, 0), ct);
        var port = ((IPEndPoint)listener.EndPoint).Port;
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            using var client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(new IPEndPoint(address, port), ct);
            var connection = await listener.AcceptAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
            Assert.NotNull(connection);
            try
            {
                var peer = Assert.IsType<IPEndPoint>(connection.RemoteEndPoint);
                var local = Assert.IsType<IPEndPoint>(connection.LocalEndPoint);
                Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, peer.Port);
                Assert.Equal(address, Unmapped(peer.Address));
                Assert.Equal(port, local.Port);
                Assert.Equal(address, Unmapped(local.Address));

                await client.SendAsync("ping"u8.ToArray(), SocketFlags.None, ct);
                var read = await connection.Transport.Input.ReadAtLeastAsync(4, ct);
                Assert.Equal("ping", Encoding.ASCII.GetString(read.Buffer.ToArray()));
                connection.Transport.Input.AdvanceTo(read.Buffer.End);
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }

        var waiting = listener.AcceptAsync(ct).AsTask();
        Assert.False(waiting.IsCompleted);
        await listener.UnbindAsync(ct);
        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(10), ct));
        Assert.Null(await listener.AcceptAsync(ct));
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task Connections_that_arrive_together_are_all_accepted()
    {
        // One edge of the listening socket stands for every connection queued behind it: the
        // listener must take them all (accept4 until EAGAIN), not one per edge.
        var ct = TestContext.Current.CancellationToken;
        using var transport = new Portico.Transport.LoopTransport(new ServiceCollection().BuildServiceProvider(), NullLogger<Portico.Transport.LoopTransport>.Instance);
        var listener = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), ct);
        var clients = Enumerable.Range(0, 20).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToArray();
        var accepted = new List<Microsoft.AspNetCore.Connections.ConnectionContext>();
        try
        {
            // A first accept waits on the loop while all twenty connect.
            var first = listener.AcceptAsync(ct).AsTask();
            await Task.WhenAll(clients.Select(c => c.ConnectAsync(listener.EndPoint, ct).AsTask()));
            accepted.Add((await first.WaitAsync(TimeSpan.FromSeconds(10), ct))!);
            while (accepted.Count < clients.Length)
            {
                accepted.Add((await listener.AcceptAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct))!);
            }

            var peers = accepted.Select(c => ((IPEndPoint)c.RemoteEndPoint!).Port).Order().ToArray();
            Assert.Equal(clients.Select(c => ((IPEndPoint)c.LocalEndPoint!).Port).Order().ToArray(), peers);
        }
        finally
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

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
