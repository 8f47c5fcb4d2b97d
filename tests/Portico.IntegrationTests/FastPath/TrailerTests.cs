using System.Net;
using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// Trailer fields an origin sends after its chunked body (RFC 9112 §7.1.2) reach the client the
/// same way whichever path forwards the response. Over HTTP/2 (h2c and h2) they are the stream's
/// trailers (RFC 9113 §8.1), with the fields RFC 9110 §6.5.1 says a trailer must not carry left
/// out as the full pipeline (YARP over SocketsHttpHandler) leaves them out. Each case runs with
/// the fast path on and off and reads the fast path's counter, so it fails if the path it is
/// about did not serve the request.
/// </summary>
public sealed class TrailerTests : IDisposable
{
    // An origin's chunked answer: a Trailer field naming what follows, then the trailer section
    // with fields that may be trailers and fields that must not (framing, routing, controls).
    private static readonly byte[] Chunked = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
        + "Trailer: X-Checksum, Server-Timing, X-Multi\r\n\r\n"
        + "5\r\nhello\r\n6\r\n world\r\n0\r\n"
        + "X-Checksum: abc123\r\nServer-Timing: db;dur=53\r\nX-Multi: 1\r\nX-Multi: 2\r\n"
        + "Content-Length: 99\r\nContent-Type: text/html\r\nCache-Control: no-store\r\nSet-Cookie: a=1\r\n"
        + "Host: elsewhere\r\nAuthorization: Basic eA==\r\nTransfer-Encoding: gzip\r\nTrailer: X-More\r\n"
        + "Connection: close\r\nKeep-Alive: timeout=5\r\nUpgrade: h2c\r\nAlt-Svc: clear\r\nProxy-Features: x\r\nClose: 1\r\n"
        + "Date: Sun, 06 Dec 2026 10:00:00 GMT\r\nAge: 5\r\nExpires: 0\r\nVary: *\r\nLocation: /x\r\nRetry-After: 1\r\n"
        + "WWW-Authenticate: Basic\r\nContent-Encoding: gzip\r\nETag: \"t\"\r\nLast-Modified: Sun, 06 Dec 2026 10:00:00 GMT\r\n"
        + "Strict-Transport-Security: max-age=1\r\nX-Powered-By: origin\r\nGrpc-Status: 0\r\n\r\n");

    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    // An HTTP/1.1 listener, an h2c one and an h2 (TLS) one, in that order, before one backend.
    private string Config(string backend)
    {
        var (cert, key) = _pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app");
        return $$"""
            listeners:
              plain: { address: "127.0.0.1:0", protocols: [http1] }
              h2c: { address: "127.0.0.1:0", protocols: [h2c] }
              secure: { address: "127.0.0.1:0", protocols: [h2], tls: { certificates: [{ cert: {{cert}}, key: {{key}} }] } }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend}}] }
            """;
    }

    private static string Fields(IEnumerable<KeyValuePair<string, IEnumerable<string>>> fields)
        => string.Join('|', fields.Select(t => $"{t.Key.ToLowerInvariant()}: {string.Join(',', t.Value)}").Order(StringComparer.Ordinal));

    [Theory]
    [InlineData("h2c", true)]
    [InlineData("h2c", false)]
    [InlineData("h2", true)]
    [InlineData("h2", false)]
    public async Task An_origins_trailer_fields_are_the_http2_streams_trailers_on_both_paths(string protocol, bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = RawBackend.Start(_ => Chunked);
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");
        var tls = protocol == "h2";
        var port = proxy.Addresses[tls ? 2 : 1].Port;
        using var client = tls ? TlsClient.Http(port, _pki.Root) : new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var root = new Uri(tls ? $"https://app.test:{port}" : $"http://127.0.0.1:{port}");

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, "/t")) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await client.SendAsync(request, ct);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("hello world", await response.Content.ReadAsStringAsync(ct));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("X-Checksum, Server-Timing, X-Multi", string.Join(", ", response.Headers.GetValues("Trailer")));
        // Of the trailer section, what may be a trailer and what YARP copies: no framing, Content-*,
        // controls, authentication, routing or hop-by-hop fields; hidden headers are a head's rule.
        Assert.Equal(
            "etag: \"t\"|grpc-status: 0|last-modified: Sun, 06 Dec 2026 10:00:00 GMT|server-timing: db;dur=53|strict-transport-security: max-age=1|x-checksum: abc123|x-multi: 1,2|x-powered-by: origin",
            Fields(response.TrailingHeaders));
        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the request to end");
        Assert.Equal(fastPath ? 1 : 0, counters.Value("portico.fastpath.requests"));
    }

    [Theory]
    [InlineData("h2c", true)]
    [InlineData("h2c", false)]
    public async Task A_trailer_section_beyond_the_limit_resets_the_stream_on_both_paths(string protocol, bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        var huge = Encoding.ASCII.GetBytes(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
            + string.Concat(Enumerable.Range(0, 1000).Select(i => $"X-Filler-{i}: {new string('f', 80)}\r\n")) + "\r\n");
        await using var backend = RawBackend.Start(_ => huge);
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var port = proxy.Addresses[protocol == "h2c" ? 1 : 0].Port;

        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/t") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await client.SendAsync(request, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
        });

        // The body cannot end as a whole response: the stream is reset, not ended without trailers.
        Assert.IsType<HttpRequestException>(failure);
        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the request to end");
        Assert.Equal(fastPath ? 1 : 0, counters.Value("portico.fastpath.requests"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Over_http1_the_fast_path_relays_the_trailer_section_and_the_full_pipeline_cannot(bool fastPath)
    {
        // Kestrel sends no trailers on HTTP/1.1, so the full pipeline ends the body with an empty
        // trailer section; the fast path relays the origin's chunks as they came, trailers included.
        await using var backend = RawBackend.Start(_ => Chunked);
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath);
        var raw = await RawHttp.SendAsync(proxy.Addresses[0], "GET /t HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", raw.Text, StringComparison.Ordinal);
        Assert.Contains("\r\nTrailer: X-Checksum, Server-Timing, X-Multi\r\n", raw.Text, StringComparison.Ordinal);
        var body = raw.Text[(raw.Text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        var origin = Encoding.ASCII.GetString(Chunked);
        Assert.Equal(fastPath ? origin[(origin.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..] : "b\r\nhello world\r\n0\r\n\r\n", body);
    }
}
