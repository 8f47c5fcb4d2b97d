using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Security;

/// <summary>Slow and idle clients over raw sockets: each is cut off while ordinary clients keep being served.</summary>
public sealed class SlowClientTests
{
    [Fact]
    public async Task A_slowloris_client_trickling_its_headers_is_cut_off_while_others_are_served()
    {
        await using var backend = await TestBackend.StartAsync("app");
        // Long enough that two ordinary requests fit in it even on a loaded machine, short enough
        // that the 1,800-byte head (one byte per 50 ms or more) is cut off long before its end.
        await using var proxy = await StartAsync(backend, "headersTimeout: 5s");
        var ct = TestContext.Current.CancellationToken;

        using var slow = new TcpClient();
        await slow.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
        var stream = slow.GetStream();
        var head = Encoding.ASCII.GetBytes("GET /slow HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"X-Trickle-{i}: {i}\r\n")));
        var served = 0;
        var cutAfter = -1;
        for (var i = 0; i < head.Length; i++)
        {
            try
            {
                await stream.WriteAsync(head.AsMemory(i, 1), ct);
            }
            catch (IOException)
            {
                cutAfter = i;
                break;
            }

            if (i % 10 == 0)
            {
                // An ordinary client on its own connection, while the slow one is open.
                var response = await proxy.Client.GetAsync("/fast", ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                served++;
            }

            if (slow.Client.Poll(0, SelectMode.SelectRead))
            {
                cutAfter = i;
                break;
            }

            await Task.Delay(50, ct);
        }

        Assert.True(cutAfter > 0 && cutAfter < head.Length - 1, $"the slow client was not cut off (sent {head.Length} bytes one at a time)");
        var answer = await RawHttp.ReadToCloseAsync(stream, waitSeconds: 15);
        Assert.True(answer.Closed);
        Assert.StartsWith("HTTP/1.1 408", answer.Text);
        Assert.True(served >= 2, $"ordinary clients were served {served} times while the slow one trickled");
        Assert.DoesNotContain(backend.Requests, r => r.PathAndQuery == "/slow");
    }

    [Fact]
    public async Task An_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartAsync(backend, "keepAliveTimeout: 2s");
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Address.Host, proxy.Address.Port, TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("GET /idle HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);

        var result = await RawHttp.ReadToCloseAsync(stream, waitSeconds: 30);

        Assert.StartsWith("HTTP/1.1 200", result.Text);
        Assert.True(result.Closed, "the idle connection was still open after 30s");
    }

    [Fact]
    public async Task A_body_sent_slower_than_the_minimum_rate_is_cut_off()
    {
        await using var backend = await TestBackend.StartAsync("app", async ctx =>
        {
            await ctx.Request.Body.CopyToAsync(Stream.Null, ctx.RequestAborted);
        });
        await using var proxy = await StartAsync(backend, "minBodyRate: 1000\n  minBodyRateGrace: 2s");
        var ct = TestContext.Current.CancellationToken;
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n"u8.ToArray(), ct);

        var closed = false;
        for (var i = 0; i < 300 && !closed; i++)
        {
            try
            {
                await stream.WriteAsync("0123456789"u8.ToArray(), ct);
                closed = EndOfStream(client.Client);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                closed = true;
            }

            await Task.Delay(100, ct);
        }

        Assert.True(closed, "a body at 100 bytes/s was not cut off within 30s");

        // The proxy's answer read and dropped; true at its end of stream. (The event-loop
        // transport then reads and drops what the client still sends for a while, so the
        // client's writes need not fail: LingeringCloseTests.)
        static bool EndOfStream(Socket socket)
        {
            var buffer = new byte[4096];
            while (socket.Poll(0, SelectMode.SelectRead))
            {
                if (socket.Receive(buffer) == 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    [Fact]
    public async Task Connections_past_the_per_address_cap_are_closed_and_a_freed_slot_is_reused()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartAsync(backend, "maxConnectionsPerIp: 3");
        var ct = TestContext.Current.CancellationToken;
        var open = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await HoldAsync(proxy, ct));
            }

            var fourth = await RawHttp.SendAsync(proxy.Address, "GET /fourth HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", waitSeconds: 15);
            Assert.True(fourth.Closed);
            Assert.Empty(fourth.Bytes);

            open[0].Dispose();
            open.RemoveAt(0);
            RawResponse? again = null;
            await Poll.UntilAsync(async () =>
            {
                again = await RawHttp.SendAsync(proxy.Address, "GET /again HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                return again.Status == 200;
            }, "a freed connection slot to be usable");
            Assert.DoesNotContain(backend.Requests, r => r.PathAndQuery == "/fourth");
        }
        finally
        {
            open.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Connections_past_the_total_cap_are_refused_counted_and_a_freed_slot_is_reused()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartAsync(backend, "maxConnections: 2");
        var ct = TestContext.Current.CancellationToken;
        using var first = await HoldAsync(proxy, ct);
        using var second = await HoldAsync(proxy, ct);

        var third = await RawHttp.SendAsync(proxy.Address, "GET /third HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

        Assert.True(third.Closed);
        Assert.NotEqual(200, third.Status);
        Assert.DoesNotContain(backend.Requests, r => r.PathAndQuery == "/third");

        // The refusal is counted (the admin listener is not under the cap).
        using var admin = new HttpClient();
        var metrics = new PrometheusText(await admin.GetStringAsync(new Uri(proxy.AdminAddress!, "/metrics"), ct));
        Assert.Equal(1, metrics.Value("portico_guard_connections_refused_total", ("reason", "max_connections")));

        first.Dispose();
        RawResponse? again = null;
        await Poll.UntilAsync(async () =>
        {
            again = await RawHttp.SendAsync(proxy.Address, "GET /again HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            return again.Status == 200;
        }, "a freed connection slot to be usable");
    }

    [Fact]
    public async Task A_connection_that_upgrades_to_a_WebSocket_leaves_the_total_cap()
    {
        await using var backend = await EchoBackendAsync();
        await using var proxy = await WebSocketProxyAsync(backend);
        var ct = TestContext.Current.CancellationToken;
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{proxy.Address.Authority}/ws"), ct);
        await socket.SendAsync("ping"u8.ToArray(), WebSocketMessageType.Text, true, ct);
        var echo = new byte[16];
        Assert.Equal(4, (await socket.ReceiveAsync(echo, ct)).Count);

        // The WebSocket is open, yet the one slot is free again: a plain connection is served.
        using var plain = await HoldAsync(proxy, ct);
        Assert.Equal(WebSocketState.Open, socket.State);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
    }

    [Fact]
    public async Task A_connection_refused_by_the_per_address_cap_gives_back_its_place_in_the_total()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartAsync(backend, "maxConnections: 2\n  maxConnectionsPerIp: 1");
        var ct = TestContext.Current.CancellationToken;
        using var first = await HoldAsync(proxy, ct);

        // Each of these takes a place in the total first, then is refused by the per-address cap:
        // a place not given back would leave the total full for everyone else.
        for (var i = 0; i < 2; i++)
        {
            var refused = await RawHttp.SendAsync(proxy.Address, "GET /same HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            Assert.True(refused.Closed);
            Assert.Empty(refused.Bytes);
        }

        using var other = await HoldAsync(proxy, ct, IPAddress.Parse("127.0.0.2"));
        using var admin = new HttpClient();
        var metrics = new PrometheusText(await admin.GetStringAsync(new Uri(proxy.AdminAddress!, "/metrics"), ct));
        Assert.Equal(2, metrics.Value("portico_guard_connections_refused_total", ("reason", "per_ip_limit")));
        Assert.Null(metrics.Value("portico_guard_connections_refused_total", ("reason", "max_connections")));
    }

    [Fact]
    public async Task A_WebSocket_that_upgraded_and_ended_gave_back_its_place_once()
    {
        await using var backend = await EchoBackendAsync();
        await using var proxy = await WebSocketProxyAsync(backend);
        var ct = TestContext.Current.CancellationToken;
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(new Uri($"ws://{proxy.Address.Authority}/ws"), ct);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        }

        // Its place was given back at the upgrade; once the connection has ended (Portico counts
        // no open connection), giving it back again would let two plain connections in.
        using var admin = new HttpClient();
        await Poll.UntilAsync(async () =>
            new PrometheusText(await admin.GetStringAsync(new Uri(proxy.AdminAddress!, "/metrics"), ct)).Value("portico_active_connections") == 0,
            "the WebSocket's connection to end");
        using var plain = await HoldAsync(proxy, ct);
        var second = await RawHttp.SendAsync(proxy.Address, "GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        Assert.True(second.Closed);
        Assert.Empty(second.Bytes);
    }

    /// <summary>
    /// An open keep-alive connection Portico has taken: a connect completes in the kernel's accept
    /// queue, so only an answered request proves the connection was counted.
    /// </summary>
    private static async Task<TcpClient> HoldAsync(TestProxy proxy, CancellationToken ct, IPAddress? from = null)
    {
        var held = from is null ? new TcpClient() : new TcpClient(new IPEndPoint(from, 0));
        await held.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
        var stream = held.GetStream();
        await stream.WriteAsync("GET /held HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray(), ct);
        var status = new byte[12];
        await stream.ReadExactlyAsync(status, ct);
        Assert.Equal("HTTP/1.1 200", System.Text.Encoding.ASCII.GetString(status));
        return held;
    }

    /// <summary>A backend that echoes four bytes of each WebSocket message and answers anything else with "plain".</summary>
    private static Task<TestBackend> EchoBackendAsync() => TestBackend.StartAppAsync("ws", app =>
    {
        app.UseWebSockets();
        app.Run(async ctx =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                await ctx.Response.WriteAsync("plain", ctx.RequestAborted);
                return;
            }

            using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            while (!(await socket.ReceiveAsync(buffer, ctx.RequestAborted)).CloseStatus.HasValue)
            {
                await socket.SendAsync(buffer.AsMemory(0, 4), WebSocketMessageType.Text, true, ctx.RequestAborted);
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ctx.RequestAborted);
        });
    });

    /// <summary>A proxy with room for one client connection, in front of <paramref name="backend"/>.</summary>
    private static Task<TestProxy> WebSocketProxyAsync(TestBackend backend) => TestProxy.StartAsync($$"""
        limits:
          maxConnections: 1
        routes:
          all: { match: { pathPrefix: / }, cluster: ws }
        clusters:
          ws: { destinations: [{{backend.Url}}] }
        """);

    private static Task<TestProxy> StartAsync(TestBackend backend, string limits) => TestProxy.StartAsync($$"""
        limits:
          {{limits}}
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backend.Url}}] }
        """);
}
