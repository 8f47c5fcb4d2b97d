using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// HTTP/1.0 requests through a proxy with the fast path and one without (plain and TLS), against
/// backend answers of every framing: the client must get the same status line, fields and body,
/// the connection must close or persist alike (Kestrel: an HTTP/1.0 connection persists only with
/// `Connection: keep-alive`, and only when the answer's length is known), the backend must get the
/// same request (HTTP/1.1, the destination as Host when the client sent none), and the fast path
/// must have served exactly the requests it claims to (a case it hands over is held to the reason).
/// </summary>
public sealed class Http10BothPathsTests(Http10BothPathsTests.Fixture paths) : IClassFixture<Http10BothPathsTests.Fixture>
{
    private const string Host = "Host: localhost\r\n";
    private const string KeepAlive = "Connection: keep-alive\r\n";

    /// <summary>Each case: the request's head, and whether the fast path serves it (false: handed over with reason http_1_0).</summary>
    private static readonly Dictionary<string, (string Request, bool Fast)> Cases = new()
    {
        ["length"] = ($"GET /length HTTP/1.0\r\n{Host}\r\n", true),
        ["length_keep_alive"] = ($"GET /length HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["length_keep_alive_any_case"] = ($"GET /length HTTP/1.0\r\n{Host}connection: Keep-Alive\r\n\r\n", true),
        ["length_keep_alive_and_close"] = ($"GET /length HTTP/1.0\r\n{Host}Connection: keep-alive, close\r\n\r\n", true),
        ["length_close"] = ($"GET /length HTTP/1.0\r\n{Host}Connection: close\r\n\r\n", true),
        ["length_head"] = ($"HEAD /length HTTP/1.0\r\n{Host}\r\n", true),
        ["length_head_keep_alive"] = ($"HEAD /length HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["chunked"] = ($"GET /chunked HTTP/1.0\r\n{Host}\r\n", true),
        ["chunked_keep_alive"] = ($"GET /chunked HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["chunked_head_keep_alive"] = ($"HEAD /chunked HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["chunked_large_keep_alive"] = ($"GET /chunked-large HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["chunked_empty_keep_alive"] = ($"GET /chunked-empty HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["until_close"] = ($"GET /close HTTP/1.0\r\n{Host}\r\n", true),
        ["until_close_keep_alive"] = ($"GET /close HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["no_content_keep_alive"] = ($"GET /no-content HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["not_modified_keep_alive"] = ($"GET /not-modified HTTP/1.0\r\n{Host}{KeepAlive}If-None-Match: \"v\"\r\n\r\n", true),
        ["interim_keep_alive"] = ($"GET /interim HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["backend_closes_keep_alive"] = ($"GET /backend-closes HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["backend_keep_alive_fields"] = ($"GET /backend-keep-alive HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["fields_and_query"] = ($"GET /length?a=1&b=two HTTP/1.0\r\n{Host}Accept: */*\r\nUser-Agent: old/1.0\r\nX-Forwarded-For: 6.6.6.6\r\nKeep-Alive: timeout=5\r\n{KeepAlive}\r\n", true),
        ["no_host"] = ("GET /length HTTP/1.0\r\n\r\n", true),
        ["no_host_keep_alive"] = ($"GET /length HTTP/1.0\r\n{KeepAlive}\r\n", true),
        ["no_host_chunked"] = ("GET /chunked HTTP/1.0\r\nUser-Agent: s_time\r\n\r\n", true),
        ["no_host_named_route"] = ("GET /named/length HTTP/1.0\r\n\r\n", true),
        ["named_route"] = ("GET /named/length HTTP/1.0\r\nHost: named.test\r\n\r\n", true),
        ["no_host_retrying_cluster"] = ("GET /retry/length HTTP/1.0\r\n\r\n", false),
        ["retrying_cluster"] = ($"GET /retry/length HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["unreachable_keep_alive"] = ($"GET /dead/x HTTP/1.0\r\n{Host}{KeepAlive}\r\n", true),
        ["unreachable"] = ($"HEAD /dead/x HTTP/1.0\r\n{Host}\r\n", true),
        ["cached_route"] = ($"GET /cached/length HTTP/1.0\r\n{Host}{KeepAlive}\r\n", false),
        ["compressed_route"] = ($"GET /gz/chunked HTTP/1.0\r\n{Host}{KeepAlive}Accept-Encoding: gzip\r\n\r\n", false),
    };

    public static TheoryData<string> Corpus => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Both_paths_answer_an_http_1_0_request_alike(string name) => await CompareAsync(name, tls: false);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Both_paths_answer_an_http_1_0_request_alike_over_tls(string name) => await CompareAsync(name, tls: true);

    /// <summary>
    /// The known difference (docs/fast-path.md, HTTP/1.0 requests): a close-delimited answer that
    /// turns out empty. The fast path has sent its head before the backend's close says the body is
    /// empty, so it closes too; the full path, which has written nothing by then, sends
    /// `Content-Length: 0` and keeps the connection the client asked to keep.
    /// </summary>
    [Fact]
    public async Task A_close_delimited_answer_that_turns_out_empty_is_the_one_known_difference()
    {
        const string Request = $"GET /close-empty HTTP/1.0\r\n{Host}{KeepAlive}\r\n";

        var fast = await ExchangeAsync(paths.Fast, Request, tls: false);
        var full = await ExchangeAsync(paths.Full, Request, tls: false);

        Assert.Contains("  connection: close\n  content-type: text/plain\n", fast.Transcript, StringComparison.Ordinal);
        Assert.Contains("  body: \nconnection: closed (body until close)\n", fast.Transcript, StringComparison.Ordinal);
        Assert.Contains("  connection: keep-alive\n  content-length: 0\n", full.Transcript, StringComparison.Ordinal);
        Assert.True(full.KeptAlive, full.Transcript);
        Assert.Equal(full.Transcript[full.Transcript.IndexOf("backend requests", StringComparison.Ordinal)..],
            fast.Transcript[fast.Transcript.IndexOf("backend requests", StringComparison.Ordinal)..]);
    }

    /// <summary>The access log's record of an HTTP/1.0 request, with and without Host, is the same on both paths ("protocol": "HTTP/1.0").</summary>
    [Fact]
    public async Task Both_paths_log_an_http_1_0_request_alike()
    {
        var directory = Directory.CreateTempSubdirectory("portico-log-").FullName;
        await using var backend = RawBackend.Start();
        var records = new List<string>();
        foreach (var fastPath in new[] { true, false })
        {
            var log = Path.Combine(directory, $"access-{fastPath}.log");
            await using var proxy = await TestProxy.StartAsync($$"""
                listeners:
                  main: { address: 127.0.0.1:0 }
                accessLog: { output: "{{log}}" }
                routes:
                  all: { match: { pathPrefix: / }, cluster: app }
                clusters:
                  app:
                    destinations: [{{backend.Url}}]
                """, fastPath);
            using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");
            Assert.Equal(200, (await RawHttp.SendAsync(proxy.Address, "GET /logged?q=1 HTTP/1.0\r\nUser-Agent: old/1.0\r\nReferer: http://r.example/\r\n\r\n")).Status);
            Assert.Equal(200, (await RawHttp.SendAsync(proxy.Address, $"HEAD /logged HTTP/1.0\r\nHost: {proxy.Address.Authority}\r\n\r\n")).Status);
            await counters.AssertFastPathServedAsync(fastPath ? 2 : 0);
            string[] lines = [];
            await Poll.UntilAsync(() => File.Exists(log) && (lines = File.ReadAllLines(log)).Length >= 2, "two access-log lines");
            records.Add(string.Join("\n", lines.Select(line => Comparable(line, proxy.Address.Authority, backend.Url))));
        }

        Assert.Contains("protocol=HTTP/1.0", records[0], StringComparison.Ordinal);
        Assert.Equal(records[1], records[0]);
    }

    /// <summary>An access-log record's fields, sorted, less those that differ by nature (time, durations, the request id).</summary>
    private static string Comparable(string json, string proxyAuthority, string backendUrl)
    {
        using var record = System.Text.Json.JsonDocument.Parse(json);
        string[] differ = ["time", "duration", "upstreamTime", "requestId"];
        return string.Join(" ", record.RootElement.EnumerateObject()
            .Where(p => !differ.Contains(p.Name, StringComparer.OrdinalIgnoreCase))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}".Replace(proxyAuthority, "<proxy>", StringComparison.Ordinal).Replace(new Uri(backendUrl).Authority, "<backend>", StringComparison.Ordinal)));
    }

    private async Task CompareAsync(string name, bool tls)
    {
        var (request, servedFast) = Cases[name];
        var servedBefore = paths.Fast.Counters.Value("portico.fastpath.requests");
        var handedBefore = paths.Fast.Counters.Value("portico.fastpath.handovers", ("reason", "http_1_0"));

        var fast = await ExchangeAsync(paths.Fast, request, tls);
        var full = await ExchangeAsync(paths.Full, request, tls);

        Assert.Equal(full.Transcript, fast.Transcript);
        if (servedFast)
        {
            // The second request on a connection kept alive is the fast path's too.
            var expected = servedBefore + (fast.KeptAlive ? 2 : 1);
            await Poll.UntilAsync(() => paths.Fast.Counters.Value("portico.fastpath.requests") >= expected, $"the fast path to serve {name}");
            Assert.Equal(expected, paths.Fast.Counters.Value("portico.fastpath.requests"));
            Assert.Equal(handedBefore, paths.Fast.Counters.Value("portico.fastpath.handovers", ("reason", "http_1_0")));
        }
        else
        {
            Assert.Equal(handedBefore + 1, paths.Fast.Counters.Value("portico.fastpath.handovers", ("reason", "http_1_0")));
            Assert.Equal(servedBefore, paths.Fast.Counters.Value("portico.fastpath.requests"));
        }
    }

    /// <summary>What the client and the backend saw; KeptAlive: the connection answered a second request after the first.</summary>
    private sealed record Exchange(string Transcript, bool KeptAlive);

    private async Task<Exchange> ExchangeAsync(BothPathsFixture.Side side, string request, bool tls)
    {
        var seen = side.Backend.Requests.Count;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var stream = await paths.OpenAsync(side, tls, timeout.Token);
        var reader = new ByteReader(stream, timeout.Token);
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), timeout.Token);
        var (text, requestId, untilClose) = await ReadResponseAsync(reader, request);

        // What the backend got for this request (it records a request before it answers).
        var received = side.Backend.Requests.Skip(seen).ToArray();

        // Persistence: a second request on the same connection is answered, or the connection has ended.
        var kept = false;
        if (untilClose)
        {
            text.Append("connection: closed (body until close)\n");
        }
        else
        {
            try
            {
                await stream.WriteAsync("GET /length HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray(), timeout.Token);
                kept = await reader.ReadHeadAsync() is { } second && Encoding.Latin1.GetString(second).StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal);
            }
            catch (IOException)
            {
            }

            text.Append(kept ? "connection: kept alive\n" : "connection: closed\n");
        }

        text.Append($"backend requests: {received.Length}\n");
        foreach (var backend in received)
        {
            text.Append(BothPathsTests.Describe(backend, requestId));
        }

        return new Exchange(text.ToString()
            .Replace(requestId ?? "\0", "<id>", StringComparison.Ordinal)
            .Replace(new Uri(side.Backend.Url).Authority, "<backend>", StringComparison.Ordinal), kept);
    }

    /// <summary>One response: its status line and fields (sorted, Date dropped) and its body as framed (RFC 9112 §6.3).</summary>
    private static async Task<(StringBuilder Text, string? RequestId, bool UntilClose)> ReadResponseAsync(ByteReader reader, string request)
    {
        var head = await reader.ReadHeadAsync();
        Assert.NotNull(head);
        var lines = Encoding.Latin1.GetString(head).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var status = int.Parse(lines[0].AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var fields = lines.Skip(1).Select(l => (Name: l[..l.IndexOf(':')].ToLowerInvariant(), Value: l[(l.IndexOf(':') + 1)..].Trim())).ToArray();
        var text = new StringBuilder($"client: {lines[0]}\n");
        foreach (var (name, value) in fields.Where(f => f.Name != "date").OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            text.Append($"  {name}: {BothPathsTests.Escape(value)}\n");
        }

        var length = fields.FirstOrDefault(f => f.Name == "content-length").Value;
        var chunked = fields.Any(f => f.Name == "transfer-encoding");
        var noBody = request.StartsWith("HEAD ", StringComparison.Ordinal) || status is 204 or 304;
        var untilClose = !noBody && length is null && !chunked;
        var body = noBody || chunked ? []
            : length is not null ? await reader.ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture))
            : await reader.ReadToEndAsync();
        text.Append(chunked ? "  body: chunked (not for HTTP/1.0)\n" : $"  body: {BothPathsTests.Escape(Encoding.Latin1.GetString(body))}\n");
        return (text, fields.FirstOrDefault(f => f.Name == "x-request-id").Value, untilClose || chunked);
    }

    /// <summary>Routes of every kind an HTTP/1.0 request meets, and a backend answering with the framing the path's last segment names.</summary>
    public sealed class Fixture : BothPathsFixture
    {
        protected override string Routes => """
            all: { match: { pathPrefix: / }, cluster: app }
            named: { match: { hosts: [named.test], pathPrefix: /named }, cluster: app }
            retry: { match: { pathPrefix: /retry }, cluster: retrying }
            dead: { match: { pathPrefix: /dead }, cluster: unreachable }
            cached: { match: { pathPrefix: /cached }, cluster: app, cache: {} }
            gz: { match: { pathPrefix: /gz }, cluster: app, compression: {} }
            """;

        protected override string ExtraClusters => """
            retrying:
              destinations: [{{backend}}]
              retries: 1
            unreachable:
              destinations: [http://127.0.0.1:1, http://127.0.0.1:9]
              retries: 1
            """;

        protected override Func<string, byte[]>? Script => Answer;

        private static byte[] Answer(string head)
        {
            var path = head.Split(' ')[1].Split('?')[0];
            var name = path.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            var isHead = head.StartsWith("HEAD ", StringComparison.Ordinal);
            byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
            string Chunks(string body, int size)
            {
                var text = new StringBuilder();
                for (var i = 0; i < body.Length; i += size)
                {
                    var part = body.Substring(i, Math.Min(size, body.Length - i));
                    text.Append($"{part.Length:x}{(i == 0 ? ";ext=1" : "")}\r\n{part}\r\n");
                }

                return text.Append("0\r\nX-Trailer: t\r\n\r\n").ToString();
            }

            const string Type = "Content-Type: text/plain\r\nCache-Control: no-store\r\n";
            return name switch
            {
                "chunked" => Ascii($"HTTP/1.1 200 OK\r\n{Type}Transfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n{(isHead ? "" : Chunks("chunked body in parts", 5))}"),
                "chunked-large" => Ascii($"HTTP/1.1 200 OK\r\n{Type}Transfer-Encoding: chunked\r\n\r\n{(isHead ? "" : Chunks(new string('x', 200_000), 7000))}"),
                "chunked-empty" => Ascii($"HTTP/1.1 200 OK\r\n{Type}Transfer-Encoding: chunked\r\n\r\n{(isHead ? "" : "0\r\n\r\n")}"),
                "close-empty" => RawBackend.ThenClose(Ascii($"HTTP/1.1 200 OK\r\n{Type}Connection: close\r\n\r\n")),
                "close" => RawBackend.ThenClose(Ascii($"HTTP/1.1 200 OK\r\n{Type}Connection: close\r\n\r\n{(isHead ? "" : "until the end")}")),
                "no-content" => Ascii("HTTP/1.1 204 No Content\r\nX-Empty: yes\r\n\r\n"),
                "not-modified" => Ascii("HTTP/1.1 304 Not Modified\r\nETag: \"v\"\r\n\r\n"),
                "interim" => Ascii($"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\n{Type}Content-Length: 5\r\n\r\n{(isHead ? "" : "after")}"),
                "backend-closes" => RawBackend.ThenClose(Ascii($"HTTP/1.1 200 OK\r\n{Type}Connection: close\r\nContent-Length: 4\r\n\r\n{(isHead ? "" : "done")}")),
                "backend-keep-alive" => Ascii($"HTTP/1.0 200 OK\r\n{Type}Connection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 3\r\n\r\n{(isHead ? "" : "old")}"),
                _ => Ascii($"HTTP/1.1 200 OK\r\n{Type}Content-Length: 11\r\nX-Backend: raw\r\n\r\n{(isHead ? "" : "hello world")}"),
            };
        }
    }
}
