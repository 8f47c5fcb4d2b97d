using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Security.Desync;

/// <summary>
/// Request smuggling and desync attempts over raw sockets, against a proxy in front of a backend
/// that records every request it receives. Each hostile input must get a 400, the connection
/// must be closed, and the backend must receive nothing; ordinary requests still pass.
/// </summary>
public sealed class DesyncTests
{
    private const string Smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

    /// <summary>Name → raw HTTP/1.x bytes. Every one is refused with 400 and the connection closed.</summary>
    public static readonly (string Name, string Request)[] Http1Hostile =
    [
        ("CL then TE", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("TE then CL", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + Smuggled),
        ("TE identity, chunked", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("TE ,chunked", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("TE gzip, chunked", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("TE xchunked", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("TE twice", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("TE with vertical tab", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\vchunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("TE in HTTP/1.0", "POST /x HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("CL +5", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello" + Smuggled),
        ("CL -1", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n" + Smuggled),
        ("CL hex", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello" + Smuggled),
        ("CL list 5, 5", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello" + Smuggled),
        ("CL twice, different", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 41\r\n\r\nhello" + Smuggled),
        ("CL twice, same", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello" + Smuggled),
        ("CL overflow", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n" + Smuggled),
        ("space before colon", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("obs-fold", "POST /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled),
        ("underscore name", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello" + Smuggled),
        ("bare LF line ends", "GET /x HTTP/1.1\nHost: a\nX-A: 1\n\n" + Smuggled),
        ("bare LF before the request line", "\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n" + Smuggled),
        ("bare LF ends the head", "GET /x HTTP/1.1\r\nHost: a\r\n\n" + Smuggled),
        ("bare CR in value", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\rTransfer-Encoding: chunked\r\n\r\n" + Smuggled),
        ("NUL in value", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n" + Smuggled),
        ("control char in name", "GET /x HTTP/1.1\r\nHost: a\r\nX\u0001A: b\r\n\r\n" + Smuggled),
        ("two Host headers", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + Smuggled),
        ("malformed version", "GET /x HTTP/1.1x\r\nHost: a\r\n\r\n" + Smuggled),
        ("lower-case version", "GET /x http/1.1\r\nHost: a\r\n\r\n" + Smuggled),
        ("space in target", "GET /x /y HTTP/1.1\r\nHost: a\r\n\r\n" + Smuggled),
        ("trailer with Content-Length", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 40\r\n\r\n" + Smuggled),
        ("oversized chunk extension", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;" + new string('a', 8000) + "\r\nhello\r\n0\r\n\r\n" + Smuggled),
        ("chunk size with bare LF", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n" + Smuggled),
        ("chunk size 0x5", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" + Smuggled),
        ("chunk data longer than its size", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n" + Smuggled),
        ("chunk extension bare LF", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\nc\r\nhello\r\n0\r\n\r\n" + Smuggled),
    ];

    [Fact]
    public async Task Every_hostile_http1_request_gets_400_the_connection_closes_and_nothing_reaches_the_backend()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartProxyAsync(backend, "reject");
        var failures = new List<string>();
        foreach (var (name, request) in Http1Hostile)
        {
            var before = backend.Count;
            var response = await RawHttp.SendAsync(proxy.Address, request);
            if (response.Status != 400 || !response.Closed || backend.Count != before || response.ResponseCount != 1)
            {
                failures.Add($"{name}: status {response.Status}, closed {response.Closed}, backend got {backend.Count - before}, responses {response.ResponseCount}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {Http1Hostile.Length} cases failed:\n" + string.Join("\n", failures));
        Assert.DoesNotContain(backend.Requests, r => r.PathAndQuery.Contains("smuggled", StringComparison.Ordinal));
        var logged = proxy.Logs.Messages(3001).ToArray();
        Assert.Equal(Http1Hostile.Length, logged.Length);
        Assert.Contains(logged, m => m.EndsWith("with 400: both Content-Length and Transfer-Encoding; connection closed", StringComparison.Ordinal));
        Assert.DoesNotContain(proxy.Logs.Lines, l => l.Exception is not null);
    }

    public static readonly (string Name, (string, string)[] Fields)[] Http2Hostile =
    [
        ("transfer-encoding", [(":method", "POST"), (":scheme", "http"), (":path", "/x"), (":authority", "a"), ("transfer-encoding", "chunked")]),
        ("CR in a name", [(":method", "GET"), (":scheme", "http"), (":path", "/x"), (":authority", "a"), ("x-a\rb", "1")]),
        ("LF in a name", [(":method", "GET"), (":scheme", "http"), (":path", "/x"), (":authority", "a"), ("x-a\ntransfer-encoding", "chunked")]),
        ("upper case name", [(":method", "GET"), (":scheme", "http"), (":path", "/x"), (":authority", "a"), ("X-Upper", "1")]),
        ("underscore name", [(":method", "GET"), (":scheme", "http"), (":path", "/x"), (":authority", "a"), ("transfer_encoding", "chunked")]),
        ("connection header", [(":method", "GET"), (":scheme", "http"), (":path", "/x"), (":authority", "a"), ("connection", "keep-alive")]),
        ("content-length +5", [(":method", "POST"), (":scheme", "http"), (":path", "/x"), (":authority", "a"), ("content-length", "+5")]),
        ("LF in a value", [(":method", "GET"), (":scheme", "http"), (":path", "/x"), (":authority", "a"), ("x-a", "1\r\nx-b: 2")]),
    ];

    [Fact]
    public async Task Every_hostile_http2_request_is_refused_and_nothing_reaches_the_backend()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartProxyAsync(backend, "reject");
        var failures = new List<string>();
        foreach (var (name, fields) in Http2Hostile)
        {
            var before = backend.Count;
            var outcome = await RawHttp2.SendAsync(proxy.Addresses[1], fields);
            if (!outcome.Refused || backend.Count != before)
            {
                failures.Add($"{name}: {outcome}, backend got {backend.Count - before}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {Http2Hostile.Length} cases failed:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task Ordinary_requests_pass_over_raw_http1_and_http2()
    {
        await using var backend = await TestBackend.StartAsync("app", async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            await ctx.Response.WriteAsync("got:" + await reader.ReadToEndAsync());
        });
        await using var proxy = await StartProxyAsync(backend, "reject");

        var get = await RawHttp.SendAsync(proxy.Address, "GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        Assert.True(get.Status == 200, get.Text);

        var post = await RawHttp.SendAsync(proxy.Address, "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        Assert.True(post.Status == 200, post.Text);
        Assert.Contains("got:hello", post.Text);

        var chunked = await RawHttp.SendAsync(proxy.Address, "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n3;note=x\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: t\r\n\r\n");
        Assert.True(chunked.Status == 200, chunked.Text);
        Assert.Contains("got:hello", chunked.Text);

        var http10 = await RawHttp.SendAsync(proxy.Address, "POST /d HTTP/1.0\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
        Assert.True(http10.Status == 200, http10.Text);
        Assert.EndsWith("got:hi", http10.Text);

        // Three pipelined requests on one connection, the middle one with a body: three answers.
        var pipelined = await RawHttp.SendAsync(proxy.Address,
            "GET /p1 HTTP/1.1\r\nHost: a\r\n\r\n" +
            "POST /p2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
            "GET /p3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        Assert.Equal(3, pipelined.ResponseCount);
        Assert.Contains("got:abc", pipelined.Text);

        var h2 = await RawHttp2.SendAsync(proxy.Addresses[1], [(":method", "POST"), (":scheme", "http"), (":path", "/e"), (":authority", "a"), ("content-length", "2"), ("x-ok", "1")], body: "hi");
        Assert.Equal(200, h2.Status);

        Assert.Equal(["/a", "/b", "/c", "/d", "/p1", "/p2", "/p3", "/e"], backend.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task A_hostile_request_after_a_good_one_on_the_same_connection_is_refused_after_the_good_answer()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartProxyAsync(backend, "reject");

        var response = await RawHttp.SendAsync(proxy.Address,
            "POST /good HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
            "POST /bad HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled);

        Assert.True(response.Closed);
        Assert.True(2 == response.ResponseCount, response.Text + string.Join("\n", proxy.Logs.Lines));
        Assert.StartsWith("HTTP/1.1 200", response.Text);
        Assert.Contains("HTTP/1.1 400", response.Text);
        Assert.Equal(["/good"], backend.Requests.Select(r => r.PathAndQuery));
    }

    /// <summary>nginx answers 400 at the first byte that cannot be part of a method; waiting for a line end that never comes would leave the client without an answer until the header timeout.</summary>
    [Theory]
    [InlineData("16 03 01 00 c4 01 00 00 c0 03 03")]
    [InlineData("00 01 02 ff fe")]
    [InlineData("47 45 54 00")]
    public async Task Bytes_that_cannot_begin_a_request_get_400_at_once(string hex)
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartProxyAsync(backend, "reject");

        var response = await RawHttp.SendAsync(proxy.Address, Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)), waitSeconds: 10);

        Assert.Equal(400, response.Status);
        Assert.True(response.Closed);
        Assert.EndsWith("\r\n\r\n400 Bad Request: malformed method\n", response.Text, StringComparison.Ordinal);
        Assert.Equal(0, backend.Count);
    }

    [Fact]
    public async Task A_refused_upgrade_closes_its_connection_so_bytes_sent_after_it_are_never_read_as_requests()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartProxyAsync(backend, "reject");

        var response = await RawHttp.SendAsync(proxy.Address,
            "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" +
            "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled);

        Assert.True(response.Closed);
        Assert.Equal(1, response.ResponseCount);
        Assert.Contains("Connection: close", response.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["/ws"], backend.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task Underscore_header_names_are_dropped_by_default_and_the_rest_is_forwarded()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartProxyAsync(backend, policy: null);

        var response = await RawHttp.SendAsync(proxy.Address, "GET /u HTTP/1.1\r\nHost: a\r\nX_Real_User: admin\r\nX-Kept: yes\r\nConnection: close\r\n\r\n");

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(backend.Requests);
        Assert.False(seen.Headers.ContainsKey("X_Real_User"));
        Assert.Equal("yes", seen.Headers["X-Kept"]);
    }

    [Fact]
    public async Task A_Connection_header_cannot_strip_the_headers_the_proxy_sets_or_the_clients_credentials()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await StartProxyAsync(backend, policy: null);

        var response = await RawHttp.SendAsync(proxy.Address,
            "GET /h HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t0k3n\r\nX-Api-Key: k\r\n" +
            "Connection: close, X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Proto, Forwarded, Authorization, X-Api-Key, X-Request-Id, Host\r\n\r\n");

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("127.0.0.1", seen.Headers["X-Forwarded-For"]);
        Assert.Equal("a", seen.Headers["X-Forwarded-Host"]);
        Assert.Equal("http", seen.Headers["X-Forwarded-Proto"]);
        Assert.StartsWith("for=127.0.0.1", seen.Headers["Forwarded"]);
        Assert.Equal("Bearer t0k3n", seen.Headers["Authorization"]);
        Assert.Equal("k", seen.Headers["X-Api-Key"]);
        Assert.True(seen.Headers.ContainsKey("X-Request-Id"));
        Assert.Equal("a", seen.Headers["Host"]);
    }

    private static Task<TestProxy> StartProxyAsync(TestBackend backend, string? policy)
        => TestProxy.StartAsync($$"""
            listeners:
              h1: { address: "127.0.0.1:0" }
              h2: { address: "127.0.0.2:0", protocols: [h2c] }
            {{(policy is null ? "" : $"limits:\n  underscoreHeaders: {policy}\n")}}
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
}
