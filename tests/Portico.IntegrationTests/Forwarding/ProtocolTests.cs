using System.Net;
using System.Net.WebSockets;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Forwarding;

public sealed class ProtocolTests
{
    [Theory]
    [InlineData("")]
    [InlineData(", cache: {}, compression: {}")]
    public async Task WebSocket_echo_passes_through_the_proxy(string routeExtra)
    {
        await using var backend = await TestBackend.StartAppAsync("ws", app =>
        {
            app.UseWebSockets();
            app.Run(async ctx =>
            {
                using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, ctx.RequestAborted);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ctx.RequestAborted);
                        return;
                    }

                    var reply = Encoding.UTF8.GetBytes("echo:" + Encoding.UTF8.GetString(buffer, 0, received.Count));
                    await socket.SendAsync(reply, WebSocketMessageType.Text, true, ctx.RequestAborted);
                }
            });
        });
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              ws: {"{"} match: {"{"} path: /ws {"}"}, cluster: app{routeExtra} {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """);
        using var client = new ClientWebSocket();
        var ct = TestContext.Current.CancellationToken;

        await client.ConnectAsync(new Uri($"ws://{proxy.Address.Authority}/ws"), ct);
        var buffer = new byte[1024];
        foreach (var message in new[] { "hello", "world" })
        {
            await client.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, ct);
            var received = await client.ReceiveAsync(buffer, ct);
            Assert.Equal("echo:" + message, Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        Assert.Equal(WebSocketState.Closed, client.State);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connect_is_answered_501_and_never_reaches_a_backend(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              h1: { address: "127.0.0.1:0" }
              h2: { address: "127.0.0.2:0", protocols: [h2c] }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """, fastPath);

        // RFC 9110 §9.3.6: a tunnel to the named authority, a forward proxy's job.
        var h1 = await RawHttp.SendAsync(proxy.Addresses[0], "CONNECT backend.example:443 HTTP/1.1\r\nHost: backend.example:443\r\n\r\n");
        Assert.Equal(501, h1.Status);
        Assert.True(h1.Closed, "the connection stays open after a refused CONNECT");
        var h2 = await RawHttp2.SendAsync(proxy.Addresses[1], [(":method", "CONNECT"), (":authority", "backend.example:443")]);
        Assert.Equal(501, h2.Status);
        Assert.Equal(0, backend.Count);
        Assert.Equal(2, proxy.Logs.Messages(3002).Count(m => m.EndsWith("with 501: CONNECT (a tunnel) is not served", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task WebSocket_over_http2_extended_connect_passes_through_an_h2c_listener()
    {
        await using var backend = await TestBackend.StartAppAsync("ws", app =>
        {
            app.UseWebSockets();
            app.Run(async ctx =>
            {
                using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                var received = await socket.ReceiveAsync(buffer, ctx.RequestAborted);
                await socket.SendAsync(Encoding.UTF8.GetBytes("echo:" + Encoding.UTF8.GetString(buffer, 0, received.Count)), WebSocketMessageType.Text, true, ctx.RequestAborted);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ctx.RequestAborted);
            });
        });
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              h2: { address: "127.0.0.1:0", protocols: [h2c] }
            routes:
              ws: { match: { path: /ws }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;
        using var handler = new SocketsHttpHandler();
        using var invoker = new HttpMessageInvoker(handler);
        using var client = new ClientWebSocket();
        client.Options.HttpVersion = HttpVersion.Version20;
        client.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        client.Options.CollectHttpResponseDetails = true;

        // RFC 8441: the WebSocket opens as a CONNECT with :protocol websocket on an HTTP/2 stream.
        await client.ConnectAsync(new Uri($"ws://{proxy.Address.Authority}/ws"), invoker, ct);
        Assert.Equal(HttpStatusCode.OK, client.HttpStatusCode);
        await client.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, ct);
        var buffer = new byte[1024];
        var received = await client.ReceiveAsync(buffer, ct);
        Assert.Equal("echo:hello", Encoding.UTF8.GetString(buffer, 0, received.Count));
    }

    private static readonly Marshaller<string> Utf8 = Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString);
    private static readonly Method<string, string> Greet = new(MethodType.Unary, "demo.Greeter", "Greet", Utf8, Utf8);
    private static readonly Method<string, string> Count = new(MethodType.ServerStreaming, "demo.Greeter", "Count", Utf8, Utf8);

    [Fact]
    public async Task Grpc_unary_streaming_and_status_trailers_pass_through_an_h2c_listener()
    {
        // A gRPC server written at the wire level: length-prefixed messages, grpc-status trailers.
        await using var backend = await TestBackend.StartAsync("grpc", async ctx =>
        {
            var request = await ReadMessageAsync(ctx.Request.Body);
            ctx.Response.ContentType = "application/grpc";
            if (request == "fail")
            {
                ctx.Response.AppendTrailer("grpc-status", "5");
                ctx.Response.AppendTrailer("grpc-message", "no such thing");
                return;
            }

            var replies = ctx.Request.Path.Value!.EndsWith("/Count", StringComparison.Ordinal)
                ? Enumerable.Range(1, 3).Select(i => $"{request}-{i}")
                : [$"hello {request}"];
            foreach (var reply in replies)
            {
                await WriteMessageAsync(ctx.Response.Body, reply);
                await ctx.Response.Body.FlushAsync();
            }

            ctx.Response.AppendTrailer("grpc-status", "0");
        }, HttpProtocols.Http2);
        await using var proxy = await TestProxy.StartAsync($"""
            listeners:
              grpc: {"{"} address: "127.0.0.1:0", protocols: [h2c] {"}"}
            routes:
              grpc: {"{"} match: {"{"} pathPrefix: /demo.Greeter {"}"}, cluster: app {"}"}
            clusters:
              app:
                http: {"{"} version: "2" {"}"}
                destinations: [{backend.Url}]
            """);
        using var channel = GrpcChannel.ForAddress(proxy.Address);
        var invoker = channel.CreateCallInvoker();
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal("hello portico", await invoker.AsyncUnaryCall(Greet, null, new CallOptions(cancellationToken: ct), "portico"));

        using var stream = invoker.AsyncServerStreamingCall(Count, null, new CallOptions(cancellationToken: ct), "n");
        var received = new List<string>();
        while (await stream.ResponseStream.MoveNext(ct))
        {
            received.Add(stream.ResponseStream.Current);
        }

        Assert.Equal(["n-1", "n-2", "n-3"], received);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await invoker.AsyncUnaryCall(Greet, null, new CallOptions(cancellationToken: ct), "fail"));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("no such thing", error.Status.Detail);
        Assert.All(backend.Requests, r => Assert.Equal("HTTP/2", r.Protocol));
    }

    private static async Task<string> ReadMessageAsync(Stream body)
    {
        var header = new byte[5];
        await body.ReadExactlyAsync(header);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        var payload = new byte[length];
        await body.ReadExactlyAsync(payload);
        return Encoding.UTF8.GetString(payload);
    }

    private static async Task WriteMessageAsync(Stream body, string message)
    {
        var payload = Encoding.UTF8.GetBytes(message);
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame, 5);
        await body.WriteAsync(frame);
    }
}
