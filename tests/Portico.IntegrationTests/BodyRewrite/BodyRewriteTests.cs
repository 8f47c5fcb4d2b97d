using System.IO.Compression;
using System.Net;
using System.Text.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Caching;
using Portico.IntegrationTests.Compression;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.BodyRewrite;

/// <summary>
/// Response body rewriting through a real proxy and backend: matches that straddle the backend's
/// writes (one byte at a time, odd sizes), multi-byte characters, encoded backends (decoded,
/// rewritten, encoded again by the route's compression or in the backend's coding), what is left
/// alone, the fields fixed, the cache storing the rewritten body, and a large body in bounded memory.
/// </summary>
public sealed class BodyRewriteTests
{
    private const string Rules = """
        bodyRewrite:
              rules:
                - { find: "http://app.internal", replace: "https://www.example.com" }
                - { regex: 'http://([a-z]+)\.internal(?<port>:\d+)?', replace: "https://$1.example.com${port}" }
        """;

    private static readonly string Page = string.Concat(Enumerable.Range(0, 30).Select(i =>
        $"<a href=\"http://app.internal/p{i}\">é€😀 http://api.internal:80{i % 10}/x</a>\n"));

    private static readonly string Rewritten = string.Concat(Enumerable.Range(0, 30).Select(i =>
        $"<a href=\"https://www.example.com/p{i}\">é€😀 https://api.example.com:80{i % 10}/x</a>\n"));

    /// <summary>The backend sends <paramref name="body"/> in writes of <paramref name="piece"/> bytes, each flushed, so the proxy reads it in pieces that split matches and characters.</summary>
    private static Func<HttpContext, Task> Pieces(byte[] body, int piece, string type = "text/html; charset=utf-8", params (string Name, string Value)[] fields) => async ctx =>
    {
        ctx.Response.ContentType = type;
        foreach (var (name, value) in fields)
        {
            ctx.Response.Headers.Append(name, value);
        }

        for (var i = 0; i < body.Length; i += piece)
        {
            await ctx.Response.Body.WriteAsync(body.AsMemory(i, Math.Min(piece, body.Length - i)));
            await ctx.Response.Body.FlushAsync();
        }
    };

    internal static byte[] Encode(string coding, byte[] data)
    {
        using var output = new MemoryStream();
        using (Stream encoder = coding switch
        {
            "br" => new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "gzip" => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
            _ => new ZstdSharp.CompressionStream(output, leaveOpen: true),
        })
        {
            encoder.Write(data);
        }

        return output.ToArray();
    }

    private static async Task<string> TextAsync(HttpResponseMessage response)
        => Encoding.UTF8.GetString(CompressionTests.Decode(Header(response, "Content-Encoding"), await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(13)]
    [InlineData(4096)]
    public async Task Literal_and_regex_matches_are_replaced_where_the_backends_writes_split_them(int piece)
    {
        await using var o = await CacheOrigin.StartAsync(Rules);
        using var counters = new ProxyCounters(o.Proxy, "portico.body_rewrite");
        var body = Encoding.UTF8.GetBytes(Page);
        o.Handler = Pieces(body, piece, fields: [("ETag", "\"v1\""), ("Content-MD5", "abc"), ("Repr-Digest", "sha-256=:AAAA:"), ("Accept-Ranges", "bytes")]);

        var response = await o.GetAsync("/page");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Rewritten, await BodyAsync(response));
        Assert.Equal("W/\"v1\"", Header(response, "ETag"));
        Assert.Equal("", Header(response, "Content-MD5") + Header(response, "Repr-Digest") + Header(response, "Accept-Ranges"));
        Assert.Null(response.Content.Headers.ContentLength is { } n && n != Encoding.UTF8.GetByteCount(Rewritten) ? n : null);
        Assert.Equal(60, counters.Value("portico.body_rewrite.substitutions", ("route", "site")));
        Assert.Equal(body.Length, counters.Value("portico.body_rewrite.input", ("route", "site")));
        Assert.Equal(Encoding.UTF8.GetByteCount(Rewritten), counters.Value("portico.body_rewrite.output", ("route", "site")));
        Assert.Equal(1, counters.Value("portico.body_rewrite.responses", ("route", "site"), ("outcome", "rewritten")));
    }

    [Fact]
    public async Task The_admin_api_shows_the_rules_and_the_fast_path_hand_over()
    {
        await using var o = await CacheOrigin.StartAsync(Rules, top: "admin: { address: \"127.0.0.1:0\" }");
        using var admin = new HttpClient { BaseAddress = o.Proxy.AdminAddress };
        var route = JsonDocument.Parse(await admin.GetStringAsync("/api/config", TestContext.Current.CancellationToken)).RootElement.GetProperty("routes").GetProperty("site");

        var rewrite = route.GetProperty("bodyRewrite");
        Assert.Equal("""["text/html","text/css","application/javascript","application/json","text/plain","text/xml"]""", rewrite.GetProperty("mimeTypes").GetRawText());
        var rules = rewrite.GetProperty("rules").EnumerateArray().Select(r => (r.GetProperty("find").GetString(), r.GetProperty("regex").GetString(), r.GetProperty("replace").GetString())).ToList();
        Assert.Equal([("http://app.internal", null, "https://www.example.com"), (null, @"http://([a-z]+)\.internal(?<port>:\d+)?", "https://$1.example.com${port}")], rules);
        Assert.Equal(1024, rewrite.GetProperty("maxMatchLength").GetInt32());
        Assert.False(rewrite.GetProperty("requestIdentity").GetBoolean());
        Assert.Contains("body_rewrite", route.GetProperty("fastPath").GetRawText(), StringComparison.Ordinal);

        // The meter reaches /metrics.
        o.Handler = Pieces(Encoding.UTF8.GetBytes(Page), 4096);
        Assert.Equal(Rewritten, await BodyAsync(await o.GetAsync("/page")));
        var metrics = new PrometheusText(await admin.GetStringAsync("/metrics", TestContext.Current.CancellationToken));
        Assert.Equal(1, metrics.Value("portico_body_rewrite_responses_total", ("route", "site"), ("outcome", "rewritten")));
        Assert.Equal(60, metrics.Value("portico_body_rewrite_substitutions_total", ("route", "site")));
        Assert.Equal(Encoding.UTF8.GetByteCount(Rewritten), metrics.Value("portico_body_rewrite_output_bytes_total", ("route", "site")));
        Assert.Equal(1, metrics.Value("portico_body_rewrite_held_count", ("route", "site")));
    }

    [Theory]
    [InlineData("iso-8859-1")]
    [InlineData("us-ascii")]
    [InlineData("utf-16")]
    [InlineData("utf-16be")]
    public async Task A_body_is_read_and_written_back_in_its_charset(string charset)
    {
        await using var o = await CacheOrigin.StartAsync(Rules);
        var encoding = charset switch
        {
            "utf-16" => Encoding.Unicode,
            "utf-16be" => Encoding.BigEndianUnicode,
            _ => Encoding.Latin1,
        };

        // In the one-byte charsets a byte above 127 (é in ISO-8859-1, a stray one in US-ASCII)
        // comes back as it went.
        const string Before = "café http://app.internal/a ÿ";
        o.Handler = Pieces(encoding.GetBytes(Before + Page), 3, $"text/html; charset={charset}");

        var response = await o.GetAsync("/page");

        Assert.Equal(encoding.GetBytes("café https://www.example.com/a ÿ" + Rewritten), await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_known_length_body_is_sent_chunked_without_the_backends_length()
    {
        await using var o = await CacheOrigin.StartAsync(Rules);
        var body = Encoding.UTF8.GetBytes(Page);
        o.Handler = async ctx =>
        {
            ctx.Response.ContentType = "text/html";
            ctx.Response.ContentLength = body.Length;
            await ctx.Response.Body.WriteAsync(body);
        };

        var raw = (await RawHttp.SendAsync(o.Proxy.Address, "GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).Text;

        Assert.Contains("Transfer-Encoding: chunked", raw, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Content-Length", raw, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("https://api.example.com:809/x", raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("zstd")]
    public async Task An_encoded_body_is_decoded_rewritten_and_encoded_again_in_the_backends_coding(string coding)
    {
        await using var o = await CacheOrigin.StartAsync(Rules);
        var encoded = Encode(coding, Encoding.UTF8.GetBytes(Page));
        o.Handler = Pieces(encoded, 11, fields: ("Content-Encoding", coding));

        var response = await o.GetAsync("/page", ("Accept-Encoding", coding));

        Assert.Equal(coding, Header(response, "Content-Encoding"));
        Assert.Equal(Rewritten, await TextAsync(response));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public async Task A_body_not_in_its_coding_fails_as_a_backend_error_and_is_logged(string coding)
    {
        await using var o = await CacheOrigin.StartAsync(Rules);
        o.Handler = Pieces(Encoding.UTF8.GetBytes(Page), 4096, fields: ("Content-Encoding", coding));

        var raw = await RawHttp.SendAsync(o.Proxy.Address, "GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        // Its first piece does not decode, before anything reached the client: the forwarder
        // answers 502 as for any body the backend failed to send. (Later, it cuts the body off.)
        Assert.Equal(502, raw.Status);
        Assert.DoesNotContain("app.internal", raw.Text, StringComparison.Ordinal);
        await Poll.UntilAsync(() => o.Proxy.Logs.Messages(7302).Any(), "the undecodable-body warning");
        Assert.StartsWith($"route site: the backend's body is not valid {coding}; the response failed (502, or cut off once started): ", o.Proxy.Logs.Messages(7302).Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip", "br")]
    [InlineData("br", "gzip")]
    [InlineData("br", "")]
    public async Task With_the_routes_compression_the_rewritten_text_is_encoded_for_the_client(string backendCoding, string clientCoding)
    {
        await using var o = await CacheOrigin.StartAsync("compression: { minSize: 0 }\n    " + Rules);
        var encoded = Encode(backendCoding, Encoding.UTF8.GetBytes(Page));
        o.Handler = Pieces(encoded, 5, fields: ("Content-Encoding", backendCoding));

        var response = clientCoding.Length == 0 ? await o.GetAsync("/page") : await o.GetAsync("/page", ("Accept-Encoding", clientCoding));

        Assert.Equal(clientCoding, Header(response, "Content-Encoding"));
        Assert.Equal(Rewritten, await TextAsync(response));
    }

    [Fact]
    public async Task A_50_MB_body_streams_through_holding_back_less_than_the_longest_match()
    {
        // 1 MB of 1000-byte lines, each starting with a match, sent 50 times in writes of
        // 65,537 bytes, whose edges fall inside matches here and there.
        const int Copies = 50;
        var line = "http://app.internal/" + new string('x', 979) + "\n";
        var block = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(line, 1000)));
        var rewrittenBlock = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(line.Replace("http://app.internal", "https://www.example.com", StringComparison.Ordinal), 1000)));
        await using var o = await CacheOrigin.StartAsync(Rules);
        using var counters = new ProxyCounters(o.Proxy, "portico.body_rewrite");
        o.Handler = async ctx =>
        {
            ctx.Response.ContentType = "text/plain";
            for (var copy = 0; copy < Copies; copy++)
            {
                for (var i = 0; i < block.Length; i += 65_537)
                {
                    await ctx.Response.Body.WriteAsync(block.AsMemory(i, Math.Min(65_537, block.Length - i)));
                }
            }
        };

        using var response = await o.Client.GetAsync("/big", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        var buffer = new byte[81_920];
        long length = 0;
        for (int n; (n = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0;)
        {
            received.AppendData(buffer, 0, n);
            length += n;
        }

        for (var copy = 0; copy < Copies; copy++)
        {
            expected.AppendData(rewrittenBlock);
        }

        Assert.Equal((long)rewrittenBlock.Length * Copies, length);
        Assert.Equal(expected.GetHashAndReset(), received.GetHashAndReset());
        Assert.Equal(1000 * Copies, counters.Value("portico.body_rewrite.substitutions"));
        Assert.Equal((long)block.Length * Copies, counters.Value("portico.body_rewrite.input"));

        // The one response's most characters held between reads: under the window (maxMatchLength
        // 1024, the longest match the regex rule may make), however long the body.
        Assert.InRange(counters.Value("portico.body_rewrite.held"), 1, 1023);
    }

    [Fact]
    public async Task Other_media_types_no_transform_and_unknown_charsets_are_left_as_they_are()
    {
        await using var o = await CacheOrigin.StartAsync(Rules);
        using var counters = new ProxyCounters(o.Proxy, "portico.body_rewrite");
        var body = Encoding.UTF8.GetBytes(Page);
        o.Handler = ctx => ctx.Request.Path.Value switch
        {
            "/png" => Pieces(body, 7, "image/png", ("ETag", "\"v1\""))(ctx),
            "/no-transform" => Pieces(body, 7, fields: ("Cache-Control", "no-transform"))(ctx),
            _ => Pieces(body, 7, "text/html; charset=shift_jis")(ctx),
        };

        foreach (var path in new[] { "/png", "/no-transform", "/sjis" })
        {
            var response = await o.GetAsync(path);
            Assert.Equal(body, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        }

        Assert.Equal("\"v1\"", Header(await o.GetAsync("/png"), "ETag"));
        Assert.Equal(1, counters.Value("portico.body_rewrite.responses", ("outcome", "no_transform")));
        Assert.Equal(1, counters.Value("portico.body_rewrite.responses", ("outcome", "charset")));
        Assert.Equal(0, counters.Value("portico.body_rewrite.responses", ("outcome", "rewritten")));
    }

    [Fact]
    public async Task The_cache_stores_the_rewritten_body_and_a_hit_is_not_rewritten_again()
    {
        await using var o = await CacheOrigin.StartAsync("cache: {}\n    " + Rules);
        using var counters = new ProxyCounters(o.Proxy, "portico.body_rewrite");
        o.Handler = Pieces(Encoding.UTF8.GetBytes(Page), 13, fields: ("Cache-Control", "max-age=60"));

        var miss = await o.GetAsync("/page");
        var hit = await o.GetAsync("/page");

        Assert.Equal(Rewritten, await BodyAsync(miss));
        Assert.True(IsHit(hit), Status(hit));
        Assert.Equal(Rewritten, await BodyAsync(hit));
        Assert.Equal(1, o.Hits);
        Assert.Equal(1, counters.Value("portico.body_rewrite.responses", ("outcome", "rewritten")));
        Assert.Equal(60, counters.Value("portico.body_rewrite.substitutions"));
    }

    [Fact]
    public async Task Head_and_304_pass_with_the_fields_a_rewritten_body_would_have()
    {
        await using var o = await CacheOrigin.StartAsync(Rules);
        o.Handler = async ctx =>
        {
            ctx.Response.Headers.ETag = "\"v1\"";
            if (ctx.Request.Headers.IfNoneMatch.Count > 0)
            {
                ctx.Response.StatusCode = 304;
                return;
            }

            ctx.Response.ContentType = "text/html";
            ctx.Response.ContentLength = 1234;
            if (!HttpMethods.IsHead(ctx.Request.Method))
            {
                await ctx.Response.WriteAsync(new string('x', 1234));
            }
        };

        var head = await RawHttp.SendAsync(o.Proxy.Address, "HEAD /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, head.Status);
        Assert.DoesNotContain("Content-Length", head.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("ETag: W/\"v1\"\r\n", head.Text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", head.Text, StringComparison.Ordinal);

        var notModified = await o.GetAsync("/page", ("If-None-Match", "W/\"v1\""));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal("W/\"v1\"", Header(notModified, "ETag"));
    }

    [Fact]
    public async Task A_range_request_gets_the_whole_rewritten_body_and_the_backend_is_asked_for_all_of_it()
    {
        await using var o = await CacheOrigin.StartAsync(Rules.Replace("rules:", "requestIdentity: true\n      rules:", StringComparison.Ordinal));
        o.Handler = Pieces(Encoding.UTF8.GetBytes(Page), 4096, fields: ("Accept-Ranges", "bytes"));

        var response = await o.GetAsync("/page", ("Range", "bytes=0-9"), ("If-Range", "\"v1\""), ("Accept-Encoding", "gzip, br"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Rewritten, await BodyAsync(response));
        Assert.Equal("", Header(response, "Accept-Ranges"));
        Assert.False(o.Last.Headers.ContainsKey("Range"));
        Assert.False(o.Last.Headers.ContainsKey("If-Range"));
        Assert.Equal("identity", o.Last.Headers["Accept-Encoding"]);
    }
}
