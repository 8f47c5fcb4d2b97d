using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// Many streams of one HTTP/2 connection through the proxy, over h2c and h2 (TLS, ALPN): their
/// responses leave through one connection's output, which the transport gathers and sends from
/// its event loop (LoopConnection's SendMode), so these hold it to every body whole and in order
/// per stream, to a client that pauses, and to a client that leaves mid-response. They pass the
/// same way with PORTICO_FASTPATH=off (the full pipeline writes the responses) and with
/// PORTICO_TRANSPORT=sockets (Kestrel's transport, the reference).
/// </summary>
public sealed class Http2StreamsTests : IDisposable
{
    private static readonly int[] Sizes = [1, 100, 1024, 16_384, 16_385, 65_535, 100_000, 1 << 20];

    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    private string Config(string backend) => $$"""
        {{Http2Clients.Listeners(_pki)}}
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backend}}] }
        """;

    /// <summary>GET /bytes/N answers N bytes of <see cref="Body"/>, with a Content-Length.</summary>
    private static Task<TestBackend> BackendAsync() => TestBackend.StartAsync("b", ctx =>
    {
        var body = Body(int.Parse(ctx.Request.Path.Value!["/bytes/".Length..], System.Globalization.CultureInfo.InvariantCulture));
        ctx.Response.ContentLength = body.Length;
        return ctx.Response.Body.WriteAsync(body).AsTask();
    });

    /// <summary>Bytes that depend on their position and the body's size: a body cut short, reordered or mixed with another stream's shows.</summary>
    private static byte[] Body(int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = (byte)((i * 7) + (i >> 11) + size);
        }

        return bytes;
    }

    private HttpClient Client(TestProxy proxy, string protocol, out Uri root) => Http2Clients.Create(proxy, protocol, _pki.Root, out root);

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task Many_streams_at_once_on_one_connection_each_get_their_whole_body(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await BackendAsync();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var connections = new ProxyCounters(proxy, "portico.active.connections");
        using var client = Client(proxy, protocol, out var root);

        // Four of each size, all in flight together (Kestrel allows 100 streams at once).
        var sizes = Sizes.SelectMany(s => Enumerable.Repeat(s, 4)).ToArray();
        var bodies = await Task.WhenAll(sizes.Select(async size =>
        {
            using var response = await client.GetAsync(new Uri(root, $"/bytes/{size}"), ct);
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsByteArrayAsync(ct);
        }));

        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.True(bodies[i].AsSpan().SequenceEqual(Body(sizes[i])), $"the {sizes[i]}-byte body arrived as {bodies[i].Length} bytes, or changed");
        }

        Assert.Equal(1, connections.Observe("portico.active.connections"));
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task A_client_that_stops_reading_its_streams_gets_every_byte_when_it_reads_again(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await BackendAsync();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var client = Client(proxy, protocol, out var root);

        // Eight megabyte responses whose bodies nobody reads for a second: flow control and the
        // transport's write buffer hold the proxy's side back meanwhile.
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetAsync(new Uri(root, "/bytes/1048576"), HttpCompletionOption.ResponseHeadersRead, ct)));
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsByteArrayAsync(ct)));
            var expected = Body(1 << 20);
            Assert.All(bodies, body => Assert.True(body.AsSpan().SequenceEqual(expected), $"a body arrived as {body.Length} bytes, or changed"));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task A_client_that_leaves_with_many_streams_mid_response_ends_its_connection_quietly(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await BackendAsync();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var connections = new ProxyCounters(proxy, "portico.active.connections");

        var leaving = Client(proxy, protocol, out var root);
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => leaving.GetAsync(new Uri(root, "/bytes/4194304"), HttpCompletionOption.ResponseHeadersRead, ct)));
        foreach (var response in responses)
        {
            var stream = await response.Content.ReadAsStreamAsync(ct);
            await stream.ReadExactlyAsync(new byte[16 * 1024], ct);
        }

        // Gone with most of forty megabytes unread: the proxy's sends fail or its streams reset.
        leaving.Dispose();
        foreach (var response in responses)
        {
            response.Dispose();
        }

        using (var next = Client(proxy, protocol, out _))
        {
            var body = await next.GetByteArrayAsync(new Uri(root, "/bytes/100000"), ct);
            Assert.True(body.AsSpan().SequenceEqual(Body(100_000)));
        }

        await Poll.UntilAsync(() => connections.Observe("portico.active.connections") == 0, "the proxy to close every client connection");
        var failures = proxy.Logs.Lines.Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error).ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
