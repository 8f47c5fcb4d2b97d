using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// How the HTTP/2 fast path ends a response that came whole (FastPath/StreamOutput.EndAsync): the
/// last DATA frame carries END_STREAM (RFC 9113 §8.1), as HAProxy and nginx send it. It flushed
/// the body and let the stream end when the request delegate returned, and whenever Kestrel's
/// frame writer took that flush first (often, on a machine with a core to spare) the body went
/// without END_STREAM and an empty DATA frame followed to end the stream: a second frame, and
/// often a second send, per response.
/// </summary>
public sealed class Http2EndStreamTests
{
    [Fact]
    public async Task A_body_that_came_whole_ends_its_stream_in_its_last_data_frame()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = new string('a', 1024);
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            ctx.Response.ContentLength = body.Length;
            await ctx.Response.WriteAsync(body, ct);
        });
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              h2c: { address: "127.0.0.1:0", protocols: [h2c] }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """, fastPath: true);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        const int requests = 30;
        var streams = await RawHttp2.FramesAsync(
            proxy.Address, [(":method", "GET"), (":scheme", "http"), (":path", "/1k"), (":authority", "app.test")], requests);

        for (var i = 0; i < requests; i++)
        {
            var data = streams[i].Where(f => f.IsData).ToList();
            var frames = string.Join(", ", streams[i].Select(f => $"type {f.Type} flags {f.Flags} length {f.Length}"));
            Assert.True(data.Count == 1 && data[0].Length == body.Length && data[0].EndsStream, $"request {i + 1}: {frames}");
        }

        await Poll.UntilAsync(() => counters.Value("portico.fastpath.requests") >= requests, $"{requests} fast-path requests");
        Assert.Equal(requests, counters.Value("portico.fastpath.requests"));
    }
}
