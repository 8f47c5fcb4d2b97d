using System.Net;
using System.Security.Cryptography;
using System.Text;
using Portico.IntegrationTests.FastPath;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Compression;

/// <summary>
/// The differential test of compression on the two request paths: the same raw HTTP/1.1 requests
/// (codings, q-values, `*`, HEAD) for the same backend responses (encoded already, small, of other
/// types, no-transform, Vary, 204/206/304, chunked, large, a broken head that makes Portico answer
/// 502) through a proxy with the fast path and one without. The client must see the same status,
/// the same fields (Content-Encoding, Vary, ETag, the framing fields included) and the same body
/// once decoded; the backend must get the same request (its Accept-Encoding above all). The
/// request id, Date and the rate limit's counters differ by nature and are normalised.
/// </summary>
public sealed class CompressionPathsTests(CompressionPathsFixture paths) : IClassFixture<CompressionPathsFixture>
{
    private static readonly Dictionary<string, string> Cases = BuildCorpus();

    public static TheoryData<string> Corpus => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Both_paths_compress_alike(string name)
    {
        var request = Encoding.ASCII.GetBytes(Cases[name]);
        var fast = await ExchangeAsync(paths.Fast, request);
        var full = await ExchangeAsync(paths.Full, request);

        Assert.Equal(full, fast);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Both_paths_compress_alike_over_tls(string name)
    {
        var request = Encoding.ASCII.GetBytes(Cases[name]);
        var fast = await ExchangeAsync(paths.Fast, request, tls: true);
        var full = await ExchangeAsync(paths.Full, request, tls: true);

        Assert.Equal(full, fast);
    }

    [Fact]
    public async Task The_fast_path_takes_a_compressed_route_and_counts_what_it_encodes()
    {
        var counters = paths.Fast.Counters;
        var served = counters.Value("portico.fastpath.requests");
        var encoded = counters.Value("portico.compression.responses", ("encoding", "gzip"));
        var input = counters.Value("portico.compression.input", ("encoding", "gzip"));

        var exchange = await ExchangeAsync(paths.Fast, Encoding.ASCII.GetBytes("GET /features/large HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n"));
        Assert.Contains("content-encoding: gzip", exchange, StringComparison.Ordinal);
        await ExchangeAsync(paths.Fast, Encoding.ASCII.GetBytes("GET /png HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n"), tls: true);

        await Poll.UntilAsync(() => counters.Value("portico.fastpath.requests") == served + 2 && counters.Observe("portico.active.requests") == 0, "the fast path to serve both");
        Assert.Equal(encoded + 1, counters.Value("portico.compression.responses", ("encoding", "gzip")));
        Assert.Equal(input + CompressionPathsFixture.Large.Length, counters.Value("portico.compression.input", ("encoding", "gzip")));
    }

    [Fact]
    public async Task A_header_rule_on_vary_and_http2_requests_keep_a_compressed_route_on_the_full_pipeline()
    {
        var counters = paths.Fast.Counters;
        var served = counters.Value("portico.fastpath.requests");
        var ruled = counters.Value("portico.fastpath.handovers", ("reason", "compression"));

        var exchange = await ExchangeAsync(paths.Fast, Encoding.ASCII.GetBytes("GET /vary-rule/text HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: br\r\n\r\n"));
        Assert.Contains("content-encoding: br", exchange, StringComparison.Ordinal);
        Assert.Contains("vary: Origin", exchange, StringComparison.Ordinal);

        // HTTP/2: the stream's output does not encode; the full pipeline answers the request, encoded.
        using var client = TlsClient.Http(paths.Fast.Tls.Port, paths.Pki.Root);
        using var h2 = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{paths.Fast.Tls.Port}/text") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        h2.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
        using var response = await client.SendAsync(h2, TestContext.Current.CancellationToken);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.Equal(CompressionPathsFixture.Text, Encoding.ASCII.GetString(Decode("gzip", await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken))));

        await Poll.UntilAsync(() => counters.Value("portico.fastpath.handovers", ("reason", "compression")) == ruled + 2, "both handed over for compression");
        Assert.Equal(served, counters.Value("portico.fastpath.requests"));
    }

    private async Task<string> ExchangeAsync(BothPathsFixture.Side side, byte[] request, bool tls = false)
    {
        var seen = side.Backend.Requests.Count;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var stream = await paths.OpenAsync(side, tls, timeout.Token);

        await stream.WriteAsync(request, timeout.Token);
        var (text, requestId) = await ReadResponseAsync(new ByteReader(stream, timeout.Token), request.AsSpan().StartsWith("HEAD "u8));
        var received = side.Backend.Requests.Skip(seen).ToArray();
        var all = new StringBuilder(text).Append($"backend requests: {received.Length}\n");
        foreach (var backend in received)
        {
            all.Append(BothPathsTests.Describe(backend, requestId));
        }

        return all.ToString()
            .Replace(requestId ?? "\0", "<id>", StringComparison.Ordinal)
            .Replace(new Uri(side.Backend.Url).Authority, "<backend>", StringComparison.Ordinal);
    }

    /// <summary>One response: the status line, the fields sorted by name (Date left out), and the body decoded from its framing and its Content-Encoding.</summary>
    private static async Task<(string Text, string? RequestId)> ReadResponseAsync(ByteReader reader, bool head)
    {
        var lines = Encoding.Latin1.GetString(await reader.ReadHeadAsync() ?? throw new IOException("no response")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var status = int.Parse(lines[0].AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var fields = lines.Skip(1).Select(l => (Name: l[..l.IndexOf(':')].ToLowerInvariant(), Value: l[(l.IndexOf(':') + 1)..].Trim())).ToArray();
        var text = new StringBuilder($"client: {lines[0]}\n");
        foreach (var (name, value) in fields.Where(f => f.Name != "date").OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            text.Append($"  {name}: {(name == "ratelimit" ? "<counters>" : BothPathsTests.Escape(value))}\n");
        }

        string? Field(string name) => fields.FirstOrDefault(f => f.Name == name).Value;
        var body = head || status is 204 or 304 ? []
            : Field("transfer-encoding") is "chunked" ? await ReadChunksAsync(reader)
            : Field("content-length") is { } length ? await reader.ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture))
            : await reader.ReadToEndAsync();
        var decoded = Decode(Field("content-encoding") ?? "", body);
        var shown = decoded.Length <= 600 ? BothPathsTests.Escape(Encoding.Latin1.GetString(decoded)) : $"{decoded.Length} bytes, sha256 {Convert.ToHexString(SHA256.HashData(decoded))}";
        text.Append($"  body: {shown}\n");
        return (text.ToString(), Field("x-request-id"));
    }

    private static async Task<byte[]> ReadChunksAsync(ByteReader reader)
    {
        var body = new MemoryStream();
        while (true)
        {
            var line = Encoding.ASCII.GetString(await reader.ReadLineAsync() ?? throw new IOException("the body ended before its last chunk"));
            var size = Convert.ToInt32(line.Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                while (await reader.ReadLineAsync() is { Length: > 2 })
                {
                }

                return body.ToArray();
            }

            body.Write(await reader.ReadExactlyAsync(size));
            await reader.ReadLineAsync();
        }
    }

    private static byte[] Decode(string coding, byte[] data) => coding switch
    {
        "gzip" or "br" or "zstd" => CompressionTests.Decode(coding, data),
        _ => data,
    };

    private static Dictionary<string, string> BuildCorpus()
    {
        var cases = new Dictionary<string, string>();
        void Add(string name, string path, string? acceptEncoding = "gzip", string method = "GET")
            => cases.Add(name, $"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{(acceptEncoding is null ? "" : $"Accept-Encoding: {acceptEncoding}\r\n")}\r\n");

        // The coding chosen, and what the backend is asked for.
        foreach (var (name, value) in new (string, string?)[]
        {
            ("gzip", "gzip"), ("br", "br"), ("zstd", "zstd"), ("none", null), ("empty", ""), ("identity", "identity"), ("identity_q0", "identity;q=0"),
            ("q_values", "gzip;q=0.5, br;q=0.8"), ("q_tie", "br;q=0.2, gzip;q=0.2"), ("star", "*"), ("star_q0", "*;q=0"), ("star_after", "*;q=0.5, gzip"),
            ("refused", "gzip;q=0"), ("x_gzip", "x-gzip"), ("upper", "GZIP"), ("unknown", "compress, deflate"), ("spaces", " br ;q=1 ,  gzip "),
        })
        {
            Add($"coding_{name}", "/text", value);
        }

        cases.Add("coding_two_lines", "GET /text HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip;q=0.1\r\nAccept-Encoding: br;q=0.5\r\n\r\n");

        // What the backend answers.
        foreach (var kind in new[]
        {
            "weak", "chunked", "large", "large-chunked", "small", "empty", "json", "png", "untyped", "gzipped", "identity", "no-transform",
            "vary", "vary-coding", "hidden-type", "not-modified", "no-content", "partial", "not-found", "broken",
        })
        {
            Add($"response_{kind}", $"/{kind}");
        }

        Add("response_chunked_br", "/chunked", "br");
        Add("response_large_zstd", "/large", "zstd");
        Add("response_large_chunked_br", "/large-chunked", "br");
        Add("response_gzipped_to_br_client", "/gzipped", "br");

        // HEAD: the fields of the GET, no body.
        foreach (var kind in new[] { "text", "chunked", "small", "png", "gzipped" })
        {
            Add($"head_{kind}", $"/{kind}", method: "HEAD");
        }

        Add("head_text_identity", "/text", null, "HEAD");

        // The feature route (rate limit and header rules beside compression), and Portico's own 502
        // page, which a route's compression judges too (encoded from 64 bytes up).
        Add("features_text", "/features/text");
        Add("features_chunked_br", "/features/chunked", "br");
        Add("features_small", "/features/small");
        Add("tiny_small", "/tiny/small");
        Add("tiny_broken", "/tiny/broken");
        Add("tiny_broken_head", "/tiny/broken", method: "HEAD");
        Add("tiny_broken_br", "/tiny/broken", "br;q=0.9, zstd");
        return cases;
    }
}
