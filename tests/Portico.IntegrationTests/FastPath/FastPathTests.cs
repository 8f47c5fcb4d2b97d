using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Caching;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// The fast path (src/Portico/FastPath): the requests it takes get what the full path gives them,
/// and everything else is handed to the full path. Each test reads the fast path's own counters
/// (portico_fastpath_* on /metrics), so it fails if the path it is about did not serve the requests. The whole suite
/// also runs once more with PORTICO_FASTPATH=off (.ci/run), so both paths pass every other test.
/// </summary>
public sealed class FastPathTests
{
    private static string Config(string url, string routes = "", string extra = "") => $$"""
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        {{routes}}
        clusters:
          app:
            destinations: [{{url}}]
        {{extra}}
        """;

    /// <summary>The fast path's counters of one proxy (see <see cref="ProxyCounters"/>).</summary>
    private sealed class Counters(TestProxy proxy) : IDisposable
    {
        private readonly ProxyCounters _counters = new(proxy, "portico.fastpath.", "portico.active.requests");

        public long Served => _counters.Value("portico.fastpath.requests");

        /// <summary>
        /// The fast path counts a request once its response is flushed, so the client may see the
        /// response first; it counts it before the request stops being in progress, so once none
        /// is, the count is final: neither a count still to come nor one too many can slip by.
        /// </summary>
        public async Task AssertServedAsync(long expected)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!(Served >= expected && _counters.Observe("portico.active.requests") == 0) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.Equal(0, _counters.Observe("portico.active.requests"));
            Assert.Equal(expected, Served);
        }

        public long HandedOver(string reason) => _counters.Value("portico.fastpath.handovers", ("reason", reason));

        public void Dispose() => _counters.Dispose();
    }

    [Fact]
    public async Task A_plain_get_takes_the_fast_path_with_the_forwarded_headers_and_hidden_backend_headers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.Headers["X-Powered-By"] = "secret";
            return ctx.Response.WriteAsync($"{ctx.Request.Path}{ctx.Request.QueryString}");
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var counters = new Counters(proxy);
        var authority = proxy.Address.Authority;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/a/b?x=1");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "6.6.6.6");
        request.Headers.TryAddWithoutValidation("Forwarded", "for=6.6.6.6");
        request.Headers.TryAddWithoutValidation("My_Header", "dropped");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("X-Custom", "kept");
        var response = await proxy.Client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/a/b?x=1", await response.Content.ReadAsStringAsync(ct));
        Assert.False(response.Headers.Contains("Server"));
        Assert.False(response.Headers.Contains("X-Powered-By"));
        var id = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        // Kestrel's format, as on the full path: the connection id, then the request's number on it in 8 hex digits.
        Assert.Matches("^[0-9A-Z]{13}:00000001$", id);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("127.0.0.1", seen.Headers["X-Forwarded-For"]);
        Assert.Equal("http", seen.Headers["X-Forwarded-Proto"]);
        Assert.Equal(authority, seen.Headers["X-Forwarded-Host"]);
        Assert.Equal($"for=127.0.0.1;proto=http;host=\"{authority}\"", seen.Headers["Forwarded"]);
        Assert.Equal(id, seen.Headers["X-Request-Id"]);
        Assert.Equal("kept", seen.Headers["X-Custom"]);
        Assert.False(seen.Headers.ContainsKey("My_Header"));
        Assert.False(seen.Headers.ContainsKey("Keep-Alive"));
        await counters.AssertServedAsync(1);
    }

    [Fact]
    public async Task A_client_over_ipv6_is_named_in_the_forwarded_fields_as_the_full_path_names_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, extra: """
            listeners:
              v6: { address: "[::1]:0" }
            """));
        using var counters = new Counters(proxy);
        using var client = new HttpClient();

        var response = await client.GetAsync(proxy.Addresses.Single(), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("::1", seen.Headers["X-Forwarded-For"]);
        Assert.StartsWith("for=\"[::1]\";proto=http;host=", seen.Headers["Forwarded"].ToString(), StringComparison.Ordinal);
        await counters.AssertServedAsync(1);
    }

    [Fact]
    public async Task A_valid_client_request_id_is_kept_and_sent_on()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var counters = new Counters(proxy);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Request-Id", "abc-123");

        var response = await proxy.Client.SendAsync(request, ct);

        Assert.Equal("abc-123", Assert.Single(response.Headers.GetValues("X-Request-Id")));
        Assert.Equal("abc-123", Assert.Single(backend.Requests).Headers["X-Request-Id"]);
        await counters.AssertServedAsync(1);
    }

    [Fact]
    public async Task Pipelined_requests_on_one_connection_are_answered_in_order()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync($"<{ctx.Request.Path}>"));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var counters = new Counters(proxy);
        var host = proxy.Address.Authority;

        var raw = await RawHttp.SendAsync(proxy.Address,
            $"GET /1 HTTP/1.1\r\nHost: {host}\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: {host}\r\n\r\nGET /3 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");

        Assert.Equal(3, raw.ResponseCount);
        var first = raw.Text.IndexOf("</1>", StringComparison.Ordinal);
        var third = raw.Text.IndexOf("</3>", StringComparison.Ordinal);
        Assert.True(first > 0 && third > first, raw.Text);
        Assert.DoesNotContain("</2>", raw.Text);
        Assert.Contains("Connection: close", raw.Text);
        // One connection id, the requests numbered on it.
        var ids = Regex.Matches(raw.Text, "X-Request-Id: ([0-9A-Z]+):([0-9A-F]{8})\r\n").Select(m => (Connection: m.Groups[1].Value, Number: m.Groups[2].Value)).ToArray();
        Assert.Equal(["00000001", "00000002", "00000003"], ids.Select(i => i.Number));
        Assert.Single(ids.Select(i => i.Connection).Distinct());
        Assert.Equal(3, backend.Count);
        await counters.AssertServedAsync(3);
    }

    [Fact]
    public async Task Responses_behind_one_the_client_reads_slowly_follow_it_byte_for_byte()
    {
        // On Portico's transport a response's first bytes may be sent straight to the socket,
        // around the output pipe (TransportTests pins down when that is refused). Here the first
        // response (16 MiB) is read slowly, so its last writes wait for the socket, and the
        // responses to the pipelined requests behind it are offered while it may still be
        // going out: each must follow it whole and in order.
        var ct = TestContext.Current.CancellationToken;
        var big = new byte[16 << 20];
        for (var i = 0; i < big.Length; i++)
        {
            big[i] = (byte)('a' + (i % 26));
        }

        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            if (ctx.Request.Path == "/big")
            {
                ctx.Response.ContentLength = big.Length;
                return ctx.Response.Body.WriteAsync(big, ctx.RequestAborted).AsTask();
            }

            var text = $"<{ctx.Request.Path}>";
            ctx.Response.ContentLength = text.Length;
            return ctx.Response.WriteAsync(text);
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var counters = new Counters(proxy);
        var host = proxy.Address.Authority;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
        await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, ct);
        await client.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /big HTTP/1.1\r\nHost: {host}\r\n\r\nGET /s1 HTTP/1.1\r\nHost: {host}\r\n\r\nGET /s2 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"), ct);

        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        reading.CancelAfter(TimeSpan.FromSeconds(60));
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, reading.Token)) > 0)
        {
            received.Write(buffer, 0, n);
            if (received.Length < big.Length && received.Length % (256 * 1024) < n)
            {
                // Slow enough that the proxy's writes wait for the socket, every 256 KiB.
                await Task.Delay(20, ct);
            }
        }

        var all = received.ToArray();
        var headEnd = all.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", Encoding.Latin1.GetString(all, 0, headEnd), StringComparison.Ordinal);
        Assert.True(all.Length >= headEnd + big.Length, $"{all.Length} bytes in all");
        var bodyMatches = all.AsSpan(headEnd, big.Length).SequenceEqual(big);
        var rest = Encoding.Latin1.GetString(all, headEnd + big.Length, all.Length - headEnd - big.Length);
        Assert.True(bodyMatches, "the 16 MiB body arrived altered; what followed it: " + rest);
        Assert.Matches(@"^HTTP/1\.1 200 OK\r\n(?:.*\r\n)*\r\n</s1>HTTP/1\.1 200 OK\r\n(?:.*\r\n)*\r\n</s2>$", rest);
        await counters.AssertServedAsync(3);
    }

    [Fact]
    public async Task A_request_with_a_body_hands_the_connection_to_the_full_path_which_answers_it_and_the_rest()
    {
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            await ctx.Response.WriteAsync($"{ctx.Request.Method} {await reader.ReadToEndAsync()}|");
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var counters = new Counters(proxy);
        var host = proxy.Address.Authority;

        var raw = await RawHttp.SendAsync(proxy.Address,
            $"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n" +
            $"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\n\r\nhello" +
            $"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");

        Assert.Equal(3, raw.ResponseCount);
        Assert.Contains("GET |", raw.Text);
        Assert.Contains("POST hello|", raw.Text);
        Assert.Equal(3, backend.Count);
        await counters.AssertServedAsync(1);
        Assert.Equal(1, counters.HandedOver("method"));
    }

    [Fact]
    public async Task Routes_that_use_more_than_forwarding_go_to_the_full_path()
    {
        await using var app = await TestBackend.StartAsync("app");
        await using var text = await TestBackend.StartAsync("text");
        await using var proxy = await TestProxy.StartAsync(Config(app.Url, routes: """
              text: { match: { pathPrefix: /text }, cluster: text, preserveHost: false }
            """, extra: $"""
              text:
                destinations: [{text.Url}]
            """));
        using var counters = new Counters(proxy);

        Assert.Equal("app", await BodyAsync(proxy, "/textx"));
        Assert.Equal("text", await BodyAsync(proxy, "/text/a"));
        Assert.Equal("text", await BodyAsync(proxy, "/TEXT/a"));
        Assert.Equal("app", await BodyAsync(proxy, "/other"));

        await counters.AssertServedAsync(2);
        Assert.Equal(2, counters.HandedOver("host_rewrite"));
        Assert.Equal(2, text.Count);
    }

    [Fact]
    public async Task Overlapping_literal_routes_are_ranked_as_the_router_ranks_them_and_ties_go_to_the_full_path()
    {
        await using var app = await TestBackend.StartAsync("app");
        await using var api = await TestBackend.StartAsync("api");
        await using var exact = await TestBackend.StartAsync("exact");
        var config = Config(app.Url, routes: """
              api: { match: { pathPrefix: /api }, cluster: api }
              exact: { match: { path: /api/exact }, cluster: exact }
              first: { match: { pathPrefix: /o }, cluster: api, order: -2 }
              deeper: { match: { pathPrefix: /o/deeper }, cluster: exact, order: -1 }
              getOnly: { match: { pathPrefix: /m, methods: [GET] }, cluster: api }
              anyMethod: { match: { pathPrefix: /m }, cluster: exact }
            """, extra: $"""
              api:
                destinations: [{api.Url}]
              exact:
                destinations: [{exact.Url}]
            """);
        await using var proxy = await TestProxy.StartAsync(config);
        await using var full = await TestProxy.StartAsync(config, fastPath: false);
        using var counters = new Counters(proxy);

        // Each path once on the fast path and once through a proxy without it: ASP.NET Core's
        // router is the reference.
        (string Path, string Backend)[] cases =
        [
            ("/api/x", "api"),        // "/api/{**rest}" (precedence 1.5) over "/{**rest}" (5)
            ("/API", "api"),
            ("/apix", "app"),         // not under /api
            ("/api/exact", "exact"),  // the literal "/api/exact" (1.1) over "/api/{**rest}"
            ("/api/exact/y", "api"),
            ("/o/deeper/z", "api"),   // order before precedence (no order is 0)
            ("/o/other", "api"),
        ];
        foreach (var (path, backend) in cases)
        {
            Assert.Equal($"{path} {backend}", $"{path} {await BodyAsync(proxy, path)}");
            Assert.Equal($"{path} {backend} (full path)", $"{path} {await BodyAsync(full, path)} (full path)");
        }

        await counters.AssertServedAsync(cases.Length);

        // Equal order and precedence: the router's method policy decides, so the full path takes it.
        var tie = await BodyAsync(proxy, "/m/x");
        Assert.Equal(tie, await BodyAsync(full, "/m/x"));
        Assert.Equal(1, counters.HandedOver("several_routes"));
        Assert.Equal(cases.Length, counters.Served);
    }

    [Fact]
    public async Task Fresh_cache_hits_on_a_new_connection_are_answered_on_the_fast_path_as_the_cache_stage_answers_them()
    {
        await using var app = await TestBackend.StartAsync("app");
        await using var origin = await TestBackend.StartAsync("origin", ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            ctx.Response.Headers.ETag = "\"v1\"";
            ctx.Response.Headers.Vary = "Accept-Encoding";
            ctx.Response.Headers["X-Powered-By"] = "secret";
            ctx.Response.Headers["X-Origin"] = new Microsoft.Extensions.Primitives.StringValues(["a", "b"]);
            ctx.Response.ContentType = "text/plain";
            return ctx.Response.WriteAsync("cached body");
        });
        await using var proxy = await TestProxy.StartAsync(Config(app.Url, routes: """
              cached: { match: { pathPrefix: /cached }, cluster: origin, cache: {} }
            """, extra: $"""
              origin:
                destinations: [{origin.Url}]
            """));
        using var counters = new Counters(proxy);
        var host = proxy.Address.Authority;

        // A miss is forwarded and stored by the fast path (FastMissBothPathsTests holds it to the full path's).
        var stored = DateTimeOffset.UtcNow;
        var miss = await RawHttp.SendAsync(proxy.Address, $"GET /cached/a HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        Assert.Contains("\r\nCache-Status: Portico; fwd=uri-miss; stored\r\n", miss.Text);
        await counters.AssertServedAsync(1);

        // A first request a cache must weigh goes to the full path, and so does all that follows on
        // that connection: here a second request, which the full path's cache stage answers as a hit.
        var full = await RawHttp.SendAsync(proxy.Address,
            $"GET /cached/a HTTP/1.1\r\nHost: {host}\r\nCache-Control: max-stale=0\r\n\r\nGET /cached/a HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        // Two hits with Content-Length: the second head follows the first body on the same line.
        Assert.Equal(2, Regex.Count(full.Text, "HTTP/1.1 [0-9]{3} "));
        var fullHit = full.Text[full.Text.LastIndexOf("HTTP/1.1 ", StringComparison.Ordinal)..];
        Assert.Equal(1, counters.HandedOver("cache"));

        // The same request on a new connection: the fast path's hit, the same response.
        var hitSent = DateTimeOffset.UtcNow;
        var fastHit = (await RawHttp.SendAsync(proxy.Address, $"GET /cached/a HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")).Text;
        var hitReceived = DateTimeOffset.UtcNow;
        await counters.AssertServedAsync(2);
        Assert.Equal(1, origin.Count);
        Assert.EndsWith("\r\n\r\ncached body", fastHit);
        Assert.Equal(Comparable(fullHit), Comparable(fastHit));
        // Age and ttl from when the requests were sent (the origin's one-second Date, a loaded
        // machine's delays), not a fixed 0-2 / 58-60.
        CacheAssert.AgeAndTtl(
            int.Parse(Field(fastHit, "Age"), CultureInfo.InvariantCulture),
            int.Parse(Regex.Match(fastHit, @"\r\nCache-Status: Portico; hit; ttl=(\d+)\r\n").Groups[1].Value, CultureInfo.InvariantCulture),
            lifetime: 60,
            DateTimeOffset.ParseExact(Field(fastHit, "Date"), "r", CultureInfo.InvariantCulture),
            stored,
            hitSent,
            hitReceived);
        Assert.Matches(@"\r\nX-Request-Id: [^\r]+\r\n", fastHit);

        // HEAD from the stored GET, and a client's own request id kept.
        var head = (await RawHttp.SendAsync(proxy.Address, $"HEAD /cached/a HTTP/1.1\r\nHost: {host}\r\nX-Request-Id: mine-1\r\nConnection: close\r\n\r\n")).Text;
        Assert.Contains("\r\nContent-Length: 11\r\n", head);
        Assert.Contains("\r\nX-Request-Id: mine-1\r\n", head);
        Assert.EndsWith("\r\n\r\n", head);
        await counters.AssertServedAsync(3);

        // A client that holds the response (If-None-Match) gets the cache stage's 304 (§4.3.2) on
        // the fast path too: compared with the full path's, which a connection handed over by a
        // first request with Cache-Control gets for the same conditional request.
        var validate = $"GET /cached/a HTTP/1.1\r\nHost: {host}\r\nIf-None-Match: W/\"x\", \"v1\"\r\nConnection: close\r\n\r\n";
        var fullNotModified = await RawHttp.SendAsync(proxy.Address, $"GET /cached/a HTTP/1.1\r\nHost: {host}\r\nCache-Control: max-stale=0\r\n\r\n{validate}");
        Assert.Equal(2, Regex.Count(fullNotModified.Text, "HTTP/1.1 [0-9]{3} "));
        Assert.Equal(2, counters.HandedOver("cache"));
        var fastNotModified = (await RawHttp.SendAsync(proxy.Address, validate)).Text;
        await counters.AssertServedAsync(4);
        Assert.StartsWith("HTTP/1.1 304 Not Modified\r\n", fastNotModified);
        Assert.EndsWith("\r\n\r\n", fastNotModified);
        Assert.DoesNotContain("Content-Length", fastNotModified, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Comparable(fullNotModified.Text[fullNotModified.Text.LastIndexOf("HTTP/1.1 ", StringComparison.Ordinal)..]), Comparable(fastNotModified));
        var otherTag = await RawHttp.SendAsync(proxy.Address, $"GET /cached/a HTTP/1.1\r\nHost: {host}\r\nIf-None-Match: \"v0\"\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, otherTag.Status);
        Assert.EndsWith("cached body", otherTag.Text);
        await counters.AssertServedAsync(5);
        Assert.Equal(1, origin.Count);

        // What else a cache must weigh goes to the full path: the client's no-cache revalidates;
        // another Accept-Encoding is another variant, a miss the fast path forwards and stores.
        var noCache = await RawHttp.SendAsync(proxy.Address, $"GET /cached/a HTTP/1.1\r\nHost: {host}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, noCache.Status);
        Assert.Equal(2, origin.Count);
        var gzip = await RawHttp.SendAsync(proxy.Address, $"GET /cached/a HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
        Assert.Contains("fwd=vary-miss", gzip.Text);
        Assert.Equal(3, origin.Count);
        var gzipHit = await RawHttp.SendAsync(proxy.Address, $"GET /cached/a HTTP/1.1\r\nHost: {host}\r\naccept-encoding:  gzip \r\nConnection: close\r\n\r\n");
        Assert.Contains("Cache-Status: Portico; hit", gzipHit.Text);
        Assert.Equal(3, origin.Count);
        await counters.AssertServedAsync(7);
        Assert.Equal(3, counters.HandedOver("cache"));
    }

    /// <summary>The value of a field in a raw HTTP/1.1 response head, or "" when it is missing.</summary>
    private static string Field(string response, string name)
        => Regex.Match(response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)], $@"\r\n{name}: ([^\r]*)", RegexOptions.IgnoreCase).Groups[1].Value;

    /// <summary>A response head as a sorted list of fields, less what differs per exchange (Age, X-Request-Id, Cache-Status's ttl).</summary>
    private static string Comparable(string response)
    {
        var head = response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        var fields = head.Skip(1)
            .Where(f => !f.StartsWith("Age:", StringComparison.OrdinalIgnoreCase) && !f.StartsWith("X-Request-Id:", StringComparison.OrdinalIgnoreCase))
            .Select(f => f.StartsWith("Cache-Status:", StringComparison.OrdinalIgnoreCase) ? f[..f.IndexOf("ttl=", StringComparison.Ordinal)] : f)
            .Select(f => f.ToLowerInvariant())
            .Order(StringComparer.Ordinal);
        return string.Join("\n", [head[0], .. fields]);
    }

    /// <summary>The body of one GET on a new connection.</summary>
    private static async Task<string> BodyAsync(TestProxy proxy, string path)
    {
        var response = await RawHttp.SendAsync(proxy.Address, $"GET {path} HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\nConnection: close\r\n\r\n");
        Assert.True(response.Status == 200, response.Text);
        var split = response.Text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = response.Text[(split + 4)..];
        if (!response.Text[..split].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return body;
        }

        // Chunked (the test backends do not set Content-Length): "size CRLF data CRLF" … "0 CRLF CRLF".
        var text = new StringBuilder();
        while (true)
        {
            var line = body.IndexOf("\r\n", StringComparison.Ordinal);
            var size = Convert.ToInt32(body[..line], 16);
            if (size == 0)
            {
                return text.ToString();
            }

            text.Append(body, line + 2, size);
            body = body[(line + 2 + size + 2)..];
        }
    }

    [Fact]
    public async Task Chunked_large_head_only_and_no_content_responses_pass_through_exactly()
    {
        var ct = TestContext.Current.CancellationToken;
        var big = new byte[300_000];
        new Random(7).NextBytes(big);
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            switch (ctx.Request.Path.Value)
            {
                case "/chunked":
                    for (var i = 0; i < big.Length; i += 50_000)
                    {
                        await ctx.Response.Body.WriteAsync(big.AsMemory(i, 50_000));
                        await ctx.Response.Body.FlushAsync();
                    }

                    break;
                case "/length":
                    ctx.Response.ContentLength = big.Length;
                    await ctx.Response.Body.WriteAsync(big);
                    break;
                case "/empty":
                    ctx.Response.StatusCode = StatusCodes.Status204NoContent;
                    break;
                default:
                    ctx.Response.StatusCode = StatusCodes.Status304NotModified;
                    break;
            }
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var counters = new Counters(proxy);

        var chunked = await proxy.Client.GetAsync("/chunked", ct);
        Assert.True(chunked.Headers.TransferEncodingChunked);
        Assert.Equal(big, await chunked.Content.ReadAsByteArrayAsync(ct));
        Assert.Equal(big, await proxy.Client.GetByteArrayAsync("/length", ct));
        var head = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/length"), ct);
        Assert.Equal(big.Length, head.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.NoContent, (await proxy.Client.GetAsync("/empty", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await proxy.Client.GetAsync("/304", ct)).StatusCode);
        await counters.AssertServedAsync(5);
    }

    [Fact]
    public async Task A_response_delimited_by_close_is_relayed_and_the_client_connection_closed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[4096];
            var head = "";
            while (!head.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer);
                head += Encoding.Latin1.GetString(buffer, 0, n);
            }

            await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"));
            socket.Shutdown(SocketShutdown.Both);
        }, TestContext.Current.CancellationToken);
        await using var proxy = await TestProxy.StartAsync(Config($"http://127.0.0.1:{port}"));
        using var counters = new Counters(proxy);

        var raw = await RawHttp.SendAsync(proxy.Address, $"GET / HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n\r\n");
        await serve;

        Assert.True(raw.Closed);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", raw.Text, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", raw.Text);
        Assert.EndsWith("\r\n\r\nuntil the end", raw.Text, StringComparison.Ordinal);
        await counters.AssertServedAsync(1);
    }

    /// <summary>
    /// A backend that answers each request on one connection with the next of
    /// <paramref name="answers"/>, each answer in pieces written 50 ms apart (so the proxy
    /// mostly reads them one by one). The proxy may close the connection mid-answer.
    /// </summary>
    private static (int Port, Task Serving) PiecewiseBackend(TcpListener listener, params string[][] answers)
    {
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            socket.NoDelay = true;
            var buffer = new byte[4096];
            foreach (var pieces in answers)
            {
                var head = "";
                while (!head.Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await socket.ReceiveAsync(buffer);
                    if (n == 0)
                    {
                        return;
                    }

                    head += Encoding.Latin1.GetString(buffer, 0, n);
                }

                try
                {
                    foreach (var piece in pieces)
                    {
                        await socket.SendAsync(Encoding.ASCII.GetBytes(piece));
                        await Task.Delay(50);
                    }
                }
                catch (SocketException)
                {
                    // The proxy gave up on the answer (a head too large) and closed the connection.
                    return;
                }
            }
        });
        return (port, serving);
    }

    [Fact]
    public async Task Interim_responses_are_dropped_and_a_head_that_arrives_in_pieces_is_put_together()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        var (port, serving) = PiecewiseBackend(listener,
        [
            "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-From: backend\r\n\r",
            "\nhello",
        ]);
        await using var proxy = await TestProxy.StartAsync(Config($"http://127.0.0.1:{port}"));
        using var counters = new Counters(proxy);

        var raw = await RawHttp.SendAsync(proxy.Address, $"GET / HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", raw.Text, StringComparison.Ordinal);
        Assert.Contains("X-From: backend\r\n", raw.Text);
        Assert.DoesNotContain("Early Hints", raw.Text);
        Assert.DoesNotContain("Link:", raw.Text);
        Assert.DoesNotContain("Continue", raw.Text);
        Assert.EndsWith("\r\n\r\nhello", raw.Text, StringComparison.Ordinal);
        await counters.AssertServedAsync(1);
        await serving;
    }

    [Fact]
    public async Task A_response_head_larger_than_the_read_buffer_is_answered_502()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        var (port, serving) = PiecewiseBackend(listener,
        [
            "HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 12_000),
            new string('b', 12_000) + "\r\nContent-Length: 2\r\n\r\nok",
        ]);
        await using var proxy = await TestProxy.StartAsync(Config($"http://127.0.0.1:{port}"));
        using var counters = new Counters(proxy);

        var raw = await RawHttp.SendAsync(proxy.Address, $"GET / HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 502 ", raw.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("aaaa", raw.Text);
        await counters.AssertServedAsync(1);
        await serving;
    }

    [Fact]
    public async Task A_pooled_connection_the_backend_closed_is_replaced_without_an_error()
    {
        var ct = TestContext.Current.CancellationToken;
        var opened = 0;
        var closed = 0;
        await using var backend = await TestBackend.StartAsync("b", listen: o =>
        {
            o.KestrelServerOptions.Limits.KeepAliveTimeout = TimeSpan.FromMilliseconds(300);
            o.Use(next => async connection =>
            {
                Interlocked.Increment(ref opened);
                try
                {
                    await next(connection);
                }
                finally
                {
                    Interlocked.Increment(ref closed);
                }
            });
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var counters = new Counters(proxy);

        Assert.Equal("b", await proxy.Client.GetStringAsync("/", ct));
        // Waits for the backend to have closed the pooled connection (Kestrel checks its keep-alive
        // timeout about once a second), rather than sleeping and hoping it has.
        await Poll.UntilAsync(() => Volatile.Read(ref closed) == 1, "the backend to close the idle connection");
        Assert.Equal("b", await proxy.Client.GetStringAsync("/", ct));
        Assert.Equal(2, Volatile.Read(ref opened));
        await counters.AssertServedAsync(2);
    }

    [Fact]
    public async Task A_pooled_connection_the_backend_wrote_to_after_its_response_is_not_reused()
    {
        // A backend that sends a body after its answer to HEAD (a bug, but a real one): those
        // bytes wait on the kept-alive connection, and the next request taking it would read
        // them as its response's head. The pool must see them and open a new connection.
        var ct = TestContext.Current.CancellationToken;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var connections = 0;
        var strayWritten = new TaskCompletionSource();
        var headAnswered = new TaskCompletionSource();
        var serve = Task.Run(async () =>
        {
            var open = new List<Task>();
            for (var i = 0; i < 2; i++)
            {
                var socket = await listener.AcceptSocketAsync(ct);
                Interlocked.Increment(ref connections);
                open.Add(ServeAsync(socket));
            }

            await Task.WhenAll(open);
        }, ct);

        async Task ServeAsync(Socket socket)
        {
            using var owned = socket;
            var buffer = new byte[4096];
            var received = "";
            while (true)
            {
                int n;
                try
                {
                    n = await socket.ReceiveAsync(buffer, ct);
                }
                catch (SocketException)
                {
                    // The proxy closed the connection with the stray bytes unread: a reset.
                    return;
                }

                if (n == 0)
                {
                    return;
                }

                received += Encoding.Latin1.GetString(buffer, 0, n);
                var end = received.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0)
                {
                    continue;
                }

                var head = received[..end];
                received = received[(end + 4)..];
                if (head.StartsWith("HEAD ", StringComparison.Ordinal))
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), ct);
                    // After the client has its answer: the connection is back in the pool.
                    await headAnswered.Task.WaitAsync(TimeSpan.FromSeconds(15), ct);
                    await socket.SendAsync(Encoding.ASCII.GetBytes("stray"), ct);
                    await TcpInfo.UntilAckedAsync(socket, "the proxy's kernel to take the stray bytes");
                    strayWritten.TrySetResult();
                }
                else
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), ct);
                }
            }
        }

        await using (var proxy = await TestProxy.StartAsync(Config($"http://127.0.0.1:{port}")))
        {
            using var counters = new Counters(proxy);

            var head = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"), ct);
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            headAnswered.SetResult();
            await strayWritten.Task.WaitAsync(TimeSpan.FromSeconds(15), ct);
            var get = await proxy.Client.GetAsync("/", ct);

            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("ok", await get.Content.ReadAsStringAsync(ct));
            Assert.Equal(2, Volatile.Read(ref connections));
            await counters.AssertServedAsync(2);
        }

        await serve.WaitAsync(TimeSpan.FromSeconds(15), ct);
    }

    [Fact]
    public async Task A_client_that_stops_reading_a_response_is_cut_off_after_the_clusters_timeout()
    {
        // The client asks for 8 MiB and reads nothing, so the proxy's writes to it stall. After
        // the cluster's 1 s timeout the clock ends the backend exchange, and on its next tick,
        // the exchange still waiting on the client, closes the client's connection (as nginx's
        // send_timeout): the request finishes instead of holding its connection forever.
        var ct = TestContext.Current.CancellationToken;
        var body = new byte[8 << 20];
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.ContentLength = body.Length;
            return ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).AsTask();
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, extra: "    timeout: 1s"));
        using var counters = new Counters(proxy);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, ct);
        await client.SendAsync(Encoding.ASCII.GetBytes($"GET /big HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n\r\n"), ct);

        // Not a byte read until the proxy has finished the request on its own.
        await counters.AssertServedAsync(1);

        var received = 0L;
        var buffer = new byte[64 * 1024];
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        reading.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            int n;
            while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, reading.Token)) > 0)
            {
                received += n;
            }
        }
        catch (SocketException)
        {
            // Reset rather than closed: cut off all the same.
        }

        Assert.True(received < body.Length, $"{received} bytes: the whole response arrived after all");
    }

    [Fact]
    public async Task A_slow_backend_gets_the_route_timeout_and_an_unreachable_one_the_full_paths_502()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var slow = await TestBackend.StartAsync("slow", async ctx =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted);
            await ctx.Response.WriteAsync("late");
        });
        var closedPort = FreePorts.Take();
        await using var proxy = await TestProxy.StartAsync(Config(slow.Url, routes: """
              down: { match: { pathPrefix: /down }, cluster: down }
            """, extra: $"""
              down:
                destinations: [http://127.0.0.1:{closedPort}]
            """).Replace("cluster: app }", "cluster: app, timeout: 1s }", StringComparison.Ordinal));
        using var counters = new Counters(proxy);

        var timedOut = await proxy.Client.GetAsync("/slow", ct);
        Assert.Equal(HttpStatusCode.GatewayTimeout, timedOut.StatusCode);
        Assert.Contains("did not answer in time", await timedOut.Content.ReadAsStringAsync(ct));
        Assert.True(timedOut.Headers.Contains("X-Request-Id"));
        await counters.AssertServedAsync(1);

        // /down: "all" could match too, so the full path takes it; its 502 page is the same.
        var down = await proxy.Client.GetAsync("/down", ct);
        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
    }

    [Fact]
    public async Task An_unreachable_destination_is_handed_to_the_full_path()
    {
        var ct = TestContext.Current.CancellationToken;
        var closedPort = FreePorts.Take();
        await using var proxy = await TestProxy.StartAsync(Config($"http://127.0.0.1:{closedPort}"));
        using var counters = new Counters(proxy);

        var response = await proxy.Client.GetAsync("/", ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await counters.AssertServedAsync(0);
        Assert.Equal(1, counters.HandedOver("backend"));
    }

    [Fact]
    public async Task Idle_keep_alive_connections_are_closed_after_the_timeout()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, extra: "limits: { keepAliveTimeout: 1s }"));
        using var counters = new Counters(proxy);
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Address.Host, proxy.Address.Port, TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n\r\n"), TestContext.Current.CancellationToken);

        var started = DateTime.UtcNow;
        var raw = await RawHttp.ReadToCloseAsync(stream, waitSeconds: 30);

        // Not before the 1 s timeout; and within 30 s, far short of the default 130 s, so a timeout
        // that was not applied still fails, while a loaded machine's late close does not.
        Assert.Equal(1, raw.ResponseCount);
        Assert.True(raw.Closed, "the idle connection was not closed within 30s");
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), $"closed after {DateTime.UtcNow - started}, before the keep-alive timeout");
        await counters.AssertServedAsync(1);
    }

    [Fact]
    public async Task An_idle_keep_alive_connection_is_closed_at_once_when_the_proxy_stops()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var proxy = await TestProxy.StartAsync(Config(backend.Url));
        Task? stopping = null;
        try
        {
            using var counters = new Counters(proxy);
            using var client = new TcpClient();
            await client.ConnectAsync(proxy.Address.Host, proxy.Address.Port, TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n\r\n"), TestContext.Current.CancellationToken);
            var head = new byte[1];
            Assert.Equal(1, await stream.ReadAsync(head, TestContext.Current.CancellationToken));
            await counters.AssertServedAsync(1);

            // The stop asks the idle connection to close, and it ends at once. Not told (the fast
            // path's watch of the request to close), it would wait for the stop's deadline
            // (TestProxy's 5 s) and be aborted there.
            var started = DateTime.UtcNow;
            stopping = proxy.DisposeAsync().AsTask();
            var raw = await RawHttp.ReadToCloseAsync(stream, waitSeconds: 30);
            var took = DateTime.UtcNow - started;
            Assert.True(raw.Closed, "the idle connection was not closed");
            Assert.True(took < TimeSpan.FromSeconds(3.5), $"closed {took} after the stop began: at its deadline, not at its request");
        }
        finally
        {
            await (stopping ?? proxy.DisposeAsync().AsTask());
        }
    }

    [Fact]
    public async Task In_flight_requests_count_for_least_requests_balancing()
    {
        var ct = TestContext.Current.CancellationToken;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = 0;
        RequestDelegate handler(string name) => async ctx =>
        {
            // Whichever destination gets the first request holds it until released.
            if (Interlocked.Increment(ref holding) == 1)
            {
                await release.Task.WaitAsync(ctx.RequestAborted);
            }

            await ctx.Response.WriteAsync(name);
        };
        await using var one = await TestBackend.StartAsync("one", handler("one"));
        await using var two = await TestBackend.StartAsync("two", handler("two"));
        await using var proxy = await TestProxy.StartAsync(Config($"{one.Url}, {two.Url}", extra: "    loadBalancing: least-requests"));
        using var counters = new Counters(proxy);

        var first = proxy.Client.GetStringAsync("/", ct);
        await Poll.UntilAsync(() => one.Count + two.Count == 1, "the first request reaches a destination");
        var (held, free) = one.Count == 1 ? (one, two) : (two, one);
        var destinations = proxy.State.GetClusters().Single().Destinations.Values;
        Assert.Equal(1, destinations.Single(d => d.Model.Config.Address.Contains($":{held.Port}", StringComparison.Ordinal)).ConcurrentRequestCount);
        var freeState = destinations.Single(d => d.Model.Config.Address.Contains($":{free.Port}", StringComparison.Ordinal));
        for (var i = 0; i < 5; i++)
        {
            // The previous answer's count drops after its last flush: without this wait a request on
            // a new connection could find 1 and 1, a tie, rather than the 1 and 0 this test is about.
            await Poll.UntilAsync(() => freeState.ConcurrentRequestCount == 0, "the previous request to leave the free destination");
            Assert.Equal(free.Name, await proxy.Client.GetStringAsync("/", ct));
        }

        release.SetResult();
        Assert.Equal(held.Name, await first);
        // The count drops after the response's last flush, so the client can have it first.
        await Poll.UntilAsync(() => destinations.All(d => d.ConcurrentRequestCount == 0), "no request in flight");
        await counters.AssertServedAsync(6);
    }

    [Fact]
    public async Task Forwarded_fields_from_a_trusted_proxy_with_blank_values_are_replaced_by_ours()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, extra: """
            proxy: { trustedProxies: [127.0.0.0/8] }
            """));
        using var counters = new Counters(proxy);
        var host = proxy.Address.Authority;

        // Values of only whitespace are legal (an empty value with optional whitespace); like the
        // full path, which reads them as empty, the fast path then sends its own values.
        var raw = await RawHttp.SendAsync(proxy.Address,
            $"GET / HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-Proto:  \r\nX-Forwarded-Host: \t\r\nForwarded:   \r\nConnection: close\r\n\r\n");

        Assert.Equal(200, raw.Status);
        await counters.AssertServedAsync(1);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("http", seen.Headers["X-Forwarded-Proto"]);
        Assert.Equal(host, seen.Headers["X-Forwarded-Host"]);
        Assert.Equal($"for=127.0.0.1;proto=http;host=\"{host}\"", seen.Headers["Forwarded"]);
    }

    [Fact]
    public async Task Forwarded_fields_sent_on_several_lines_by_a_trusted_proxy_reach_the_backend_alike_on_both_paths()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var config = Config(backend.Url, extra: """
            proxy: { trustedProxies: [127.0.0.0/8] }
            """);
        await using var proxy = await TestProxy.StartAsync(config);
        await using var fullProxy = await TestProxy.StartAsync(config, fastPath: false);
        using var counters = new Counters(proxy);
        var fields = "X-Forwarded-Proto: https\r\nX-Forwarded-Proto: http\r\nForwarded: for=192.0.2.1\r\nForwarded: for=192.0.2.2\r\n"
            + "X-Forwarded-Host: a.example\r\nX-Forwarded-Host:  \r\nX-Forwarded-Host: b.example\r\n";

        // The fast path, and a proxy without it. One rule (Forwarding/ForwardedHeaders) for both:
        // every line's value, joined as one list.
        var fast = await RawHttp.SendAsync(proxy.Address, $"GET / HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n{fields}Connection: close\r\n\r\n");
        await counters.AssertServedAsync(1);
        var full = await RawHttp.SendAsync(fullProxy.Address, $"GET / HTTP/1.1\r\nHost: {fullProxy.Address.Authority}\r\n{fields}Connection: close\r\n\r\n");

        Assert.Equal(200, fast.Status);
        Assert.Equal(200, full.Status);
        Assert.Equal(2, backend.Requests.Count);
        foreach (var (seen, host) in backend.Requests.Zip([proxy.Address.Authority, fullProxy.Address.Authority]))
        {
            Assert.Equal("https, http", seen.Headers["X-Forwarded-Proto"]);
            Assert.Equal("a.example, b.example", seen.Headers["X-Forwarded-Host"]);
            Assert.Equal($"for=192.0.2.1, for=192.0.2.2, for=127.0.0.1;proto=http;host=\"{host}\"", seen.Headers["Forwarded"]);
        }
    }

    [Fact]
    public async Task The_access_log_names_the_client_behind_a_trusted_proxy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b");
        var log = Path.Combine(Directory.CreateTempSubdirectory("portico-log-").FullName, "access.log");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, extra: $$"""
            accessLog: { output: "{{log}}" }
            proxy: { trustedProxies: [127.0.0.0/8] }
            """));
        using var counters = new Counters(proxy);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");

        await proxy.Client.SendAsync(request, ct);

        await counters.AssertServedAsync(1);
        string[] lines = [];
        await Poll.UntilAsync(() => File.Exists(log) && (lines = File.ReadAllLines(log)).Length >= 1, "one access-log line");
        using var entry = System.Text.Json.JsonDocument.Parse(Assert.Single(lines));
        Assert.Equal("203.0.113.9", entry.RootElement.GetProperty("client").GetString());
        Assert.Equal("203.0.113.9, 127.0.0.1", Assert.Single(backend.Requests).Headers["X-Forwarded-For"]);
    }
}
