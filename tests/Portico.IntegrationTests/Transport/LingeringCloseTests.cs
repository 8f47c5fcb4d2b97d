using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// A connection Portico closes while the client is still sending: pipelined requests behind one
/// asking for the close, the rest of a request head or upload refused early. A close(2) with
/// bytes unread makes Linux reset the connection, throw away what of the response it had not
/// sent yet, and answer the client's later bytes with a reset; the event-loop transport closes
/// lingering, as nginx's `lingering_close`: the write side shut down (the client gets the whole
/// response, then the end of the stream), what comes read and dropped, the descriptor closed at
/// the client's end of stream, after the time limits or at the server's stop. The client's
/// receive buffer is small and it starts reading late, so a large response is partly unsent
/// when the proxy is done with it, and it sends more than the proxy's input pipe reads ahead
/// (1 MiB) and the socket buffers hold, or keeps sending after the refusal.
/// Kestrel's socket transport (PORTICO_TRANSPORT=sockets) closes with the bytes unread: its
/// code, not Portico's, so these run on the event-loop transport only.
/// </summary>
public sealed class LingeringCloseTests
{
    private const int ClientReceiveBuffer = 16 * 1024;
    private static readonly TimeSpan ReadLate = TimeSpan.FromMilliseconds(800);

    private static void LoopOnly()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("PORTICO_TRANSPORT"), "sockets", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Skip("the event-loop transport's close; Kestrel's socket transport closes with the client's bytes unread (its code)");
        }
    }

    [Fact]
    public async Task A_large_answer_to_a_request_asking_for_the_close_arrives_whole_with_more_requests_unread_behind_it()
    {
        LoopOnly();
        var body = new byte[16 << 20];
        for (var i = 0; i < body.Length; i++)
        {
            body[i] = (byte)(i * 7);
        }

        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.ContentLength = body.Length;
            return ctx.Response.Body.WriteAsync(body).AsTask();
        });
        await using var proxy = await TestProxy.StartAsync(TransportTests.Config(backend.Url));
        using var counters = new ProxyCounters(proxy, "portico.lingering.");
        var host = proxy.Address.Authority;
        var request = new StringBuilder($"GET /big HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        while (request.Length < 3 << 20)
        {
            request.Append($"GET /next HTTP/1.1\r\nHost: {host}\r\n\r\n");
        }

        var outcome = await ExchangeAsync(proxy, Encoding.ASCII.GetBytes(request.ToString()));

        Assert.Null(outcome.ReadError);
        Assert.True(outcome.Closed, "the proxy ends the stream after the answer");
        var head = HeadOf(outcome.Received);
        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        Assert.Equal(body.Length, outcome.Received.Length - head.Length);
        Assert.True(body.AsSpan().SequenceEqual(outcome.Received.AsSpan(head.Length)), "the body as the backend sent it");
        Assert.Null(outcome.SendError);

        // It lingered, and ended with the client's close, before its idle limit.
        Assert.Equal(1, counters.Observe("portico.lingering.closes"));
        var closedAt = outcome.ClientClosedAt;
        await Poll.UntilAsync(() => counters.Observe("portico.lingering.connections") == 0, "the lingering close to end");
        Assert.True(TimeProvider.System.GetElapsedTime(closedAt) < TimeSpan.FromSeconds(4), "it ended at the client's end of stream, not its idle limit");
    }

    [Fact]
    public async Task A_request_head_too_large_is_refused_whole_with_the_rest_of_it_unread()
    {
        LoopOnly();
        // Refused with 431 once the head passes the limit, far before its end; the rest of it
        // is never read as a request. The answer is small and leaves at once (with the end of
        // the stream, which the client reads before the reset a close with bytes unread makes):
        // what the reset breaks is the client's sending, which goes on after the proxy is done,
        // as a client sending a large head or body does; it fails with ECONNRESET or EPIPE (curl:
        // "Send failure: Connection reset by peer") and never reads the answer.
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync("b"));
        await using var proxy = await TestProxy.StartAsync(TransportTests.Config(backend.Url));
        var request = new StringBuilder($"GET /x HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n");
        var line = $"X-Filler: {new string('a', 1000)}\r\n";
        while (request.Length < 3 << 20)
        {
            request.Append(line);
        }

        request.Append("\r\n");

        var outcome = await ExchangeAsync(proxy, Encoding.ASCII.GetBytes(request.ToString()), pauseMilliseconds: 10);

        Assert.Null(outcome.ReadError);
        Assert.True(outcome.Closed, "the proxy ends the stream after the answer");
        Assert.StartsWith("HTTP/1.1 431", HeadOf(outcome.Received), StringComparison.Ordinal);
        Assert.Null(outcome.SendError);
    }

    [Fact]
    public async Task A_lingering_close_of_a_client_that_neither_sends_nor_closes_ends_at_its_idle_limit()
    {
        LoopOnly();
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync("b"));
        await using var proxy = await TestProxy.StartAsync(TransportTests.Config(backend.Url));
        using var counters = new ProxyCounters(proxy, "portico.lingering.");
        var ct = TestContext.Current.CancellationToken;
        var host = proxy.Address.Authority;
        var request = new StringBuilder($"GET /x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        while (request.Length < 2 << 20)
        {
            request.Append($"GET /next HTTP/1.1\r\nHost: {host}\r\n\r\n");
        }

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendTimeout = 20_000 };
        await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, ct);
        var sending = Task.Factory.StartNew(() => client.Send(Encoding.ASCII.GetBytes(request.ToString())), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var raw = await RawHttp.ReadToCloseAsync(client, TimeSpan.FromSeconds(20));
        Assert.Equal(200, raw.Status);
        Assert.True(raw.Closed, "the answer, then the end of the stream");
        await sending.WaitAsync(TimeSpan.FromSeconds(20), ct);
        await Poll.UntilAsync(() => counters.Observe("portico.lingering.closes") == 1, "the close to linger");
        var quiet = TimeProvider.System.GetTimestamp();

        // The client keeps its socket open and sends nothing more: closed after about the idle
        // limit (swept once a second), not at once and not at the 30 s limit.
        await Poll.UntilAsync(() => counters.Observe("portico.lingering.connections") == 0, "the lingering close to end", seconds: 20);
        var waited = TimeProvider.System.GetElapsedTime(quiet);
        Assert.InRange(waited, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(15));
    }

    [Theory]
    [InlineData("content-length")]
    [InlineData("chunked")]
    public async Task A_refusal_of_a_large_upload_arrives_whole_and_the_upload_is_not_reset(string framing)
    {
        LoopOnly();
        // The proxy's own 413, a page large enough to stay partly unsent while the client does
        // not read. A declared Content-Length past the limit is refused before any of the body
        // is read (Kestrel then drains the body for up to 5 s); a chunked body is refused at
        // its first byte past the limit, and the rest is never read.
        var pages = Directory.CreateTempSubdirectory("portico-linger-").FullName;
        var page = new StringBuilder("<html><body>");
        while (page.Length < 200 * 1024)
        {
            page.Append("<p>The body is larger than this route accepts.</p>\n");
        }

        page.Append("</body></html>");
        var pageFile = Path.Combine(pages, "413.html");
        await File.WriteAllTextAsync(pageFile, page.ToString(), TestContext.Current.CancellationToken);
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            await ctx.Request.Body.CopyToAsync(Stream.Null);
            await ctx.Response.WriteAsync("b");
        });
        await using var proxy = await TestProxy.StartAsync($$"""
            errorPages:
              413: { file: "{{pageFile}}" }
            routes:
              upload: { match: { pathPrefix: /upload }, cluster: app, limits: { maxBodySize: 1KiB } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        const int BodySize = 4 << 20;
        var upload = new MemoryStream();
        upload.Write(Encoding.ASCII.GetBytes(framing == "chunked"
            ? $"POST /upload HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\nTransfer-Encoding: chunked\r\n\r\n{BodySize:x}\r\n"
            : $"POST /upload HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\nContent-Length: {BodySize}\r\n\r\n"));
        upload.Write(new byte[BodySize]);
        if (framing == "chunked")
        {
            upload.Write("\r\n0\r\n\r\n"u8);
        }

        var outcome = await ExchangeAsync(proxy, upload.ToArray());

        Assert.Null(outcome.ReadError);
        Assert.True(outcome.Closed, "the proxy ends the stream after the answer");
        var answerHead = HeadOf(outcome.Received);
        Assert.StartsWith("HTTP/1.1 413", answerHead, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetByteCount(page.ToString()), outcome.Received.Length - answerHead.Length);
        Assert.Null(outcome.SendError);
    }

    [Fact]
    public async Task The_servers_stop_closes_a_lingering_close_without_waiting_for_it()
    {
        LoopOnly();
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync("b"));
        var proxy = await TestProxy.StartAsync(TransportTests.Config(backend.Url));
        var ct = TestContext.Current.CancellationToken;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendTimeout = 20_000 };
        try
        {
            using var counters = new ProxyCounters(proxy, "portico.lingering.");
            var host = proxy.Address.Authority;
            var request = new StringBuilder($"GET /x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            while (request.Length < 2 << 20)
            {
                request.Append($"GET /next HTTP/1.1\r\nHost: {host}\r\n\r\n");
            }

            await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, ct);
            var sending = Task.Factory.StartNew(() => client.Send(Encoding.ASCII.GetBytes(request.ToString())), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var raw = await RawHttp.ReadToCloseAsync(client, TimeSpan.FromSeconds(20));
            Assert.Equal(200, raw.Status);
            await sending.WaitAsync(TimeSpan.FromSeconds(20), ct);
            // The end of the stream leaves with the write side's shutdown, a moment before the close.
            await Poll.UntilAsync(() => counters.Observe("portico.lingering.connections") == 1, "the close to linger");
        }
        finally
        {
            // Well within the 5 s idle limit: the stop does not wait for it.
            var stopping = TimeProvider.System.GetTimestamp();
            await proxy.DisposeAsync();
            Assert.True(TimeProvider.System.GetElapsedTime(stopping) < TimeSpan.FromSeconds(4), "the stop waited for the lingering close");
        }

        // Its descriptor is closed: what the client sends now is answered with a reset.
        var failed = false;
        for (var i = 0; i < 20 && !failed; i++)
        {
            try
            {
                client.Send("x"u8);
                await Task.Delay(100, ct);
            }
            catch (SocketException)
            {
                failed = true;
            }
        }

        Assert.True(failed, "the lingering descriptor is still open after the server stopped");
    }

    /// <summary>
    /// Connects with a small receive buffer, sends <paramref name="bytes"/> from a thread of its
    /// own (all at once, or in pieces <paramref name="pauseMilliseconds"/> apart; bounded: it
    /// fails once the proxy stops taking them for 20 s), starts reading
    /// <see cref="ReadLate"/> later and reads to the end of the stream, a reset or 20 s.
    /// </summary>
    private static async Task<Outcome> ExchangeAsync(TestProxy proxy, byte[] bytes, int pauseMilliseconds = 0)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveBufferSize = ClientReceiveBuffer,
            SendTimeout = 20_000,
        };
        await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, ct);
        var sending = Task.Factory.StartNew(() =>
        {
            try
            {
                if (pauseMilliseconds == 0)
                {
                    client.Send(bytes);
                    return null;
                }

                // In 64 KiB pieces, a pause between them: some are sent after the proxy is done.
                for (var sent = 0; sent < bytes.Length; sent += 64 * 1024)
                {
                    client.Send(bytes.AsSpan(sent, Math.Min(64 * 1024, bytes.Length - sent)));
                    Thread.Sleep(pauseMilliseconds);
                }

                return null;
            }
            catch (SocketException e)
            {
                return (SocketError?)e.SocketErrorCode;
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await Task.Delay(ReadLate, ct);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        SocketError? readError = null;
        var closed = false;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(TimeSpan.FromSeconds(20));
        try
        {
            while (true)
            {
                var n = await client.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                if (n == 0)
                {
                    closed = true;
                    break;
                }

                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException e)
        {
            readError = e.SocketErrorCode;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        var sendError = await sending.WaitAsync(TimeSpan.FromSeconds(25), ct);
        client.Dispose();
        return new Outcome(received.ToArray(), closed, readError, sendError, TimeProvider.System.GetTimestamp());
    }

    /// <summary>The response's head, through the blank line, as Latin-1 text.</summary>
    private static string HeadOf(byte[] received)
    {
        var end = received.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(end >= 0, $"a response head in {received.Length} bytes");
        return Encoding.Latin1.GetString(received, 0, end + 4);
    }

    private sealed record Outcome(byte[] Received, bool Closed, SocketError? ReadError, SocketError? SendError, long ClientClosedAt);
}
