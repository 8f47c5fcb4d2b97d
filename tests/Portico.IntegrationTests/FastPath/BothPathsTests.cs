using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// The differential test of the two request paths (ARCHITECTURE.md, "One pipeline at two
/// speeds"): one corpus of raw HTTP/1.1 requests, valid and hostile, sent byte for byte through a
/// proxy with the fast path and through one without it. The client must see the same status,
/// fields and body, and the backend must be reached or not alike and get the same request line,
/// the same field values as bytes and the same body. The request id and Date differ by nature and
/// are normalised; field order and the case of field names carry no meaning (RFC 9110 §5.1, §5.3).
/// </summary>
public sealed class BothPathsTests(BothPathsFixture paths) : IClassFixture<BothPathsFixture>
{
    private static readonly Dictionary<string, (byte[] Request, int? Status)> Cases = BuildCorpus();

    public static TheoryData<string> Corpus => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Both_paths_give_the_client_and_the_backend_the_same_answer(string name)
    {
        var (request, status) = Cases[name];
        var fast = await ExchangeAsync(paths.Fast, request);
        var full = await ExchangeAsync(paths.Full, request);

        Assert.Equal(full.Transcript, fast.Transcript);
        if (status is not null)
        {
            Assert.Equal(status, full.Status);
        }
    }

    /// <summary>The same corpus over TLS (ALPN http/1.1), where the fast path reads the bytes Kestrel's TLS decrypted.</summary>
    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Both_paths_give_the_client_and_the_backend_the_same_answer_over_tls(string name)
    {
        var (request, status) = Cases[name];
        var fast = await ExchangeAsync(paths.Fast, request, tls: true);
        var full = await ExchangeAsync(paths.Full, request, tls: true);

        Assert.Equal(full.Transcript, fast.Transcript);
        if (status is not null)
        {
            Assert.Equal(status, full.Status);
        }
    }

    [Fact]
    public async Task The_fast_proxy_serves_a_plain_get_on_the_fast_path_and_the_full_proxy_does_not()
    {
        var request = Encoding.ASCII.GetBytes("GET /plain HTTP/1.1\r\nHost: localhost\r\n\r\n");
        var fastBefore = paths.Fast.Counters.Value("portico.fastpath.requests");
        var fullBefore = paths.Full.Counters.Value("portico.fastpath.requests");

        Assert.Equal(200, (await ExchangeAsync(paths.Fast, request)).Status);
        Assert.Equal(200, (await ExchangeAsync(paths.Full, request)).Status);
        Assert.Equal(200, (await ExchangeAsync(paths.Fast, request, tls: true)).Status);
        Assert.Equal(200, (await ExchangeAsync(paths.Full, request, tls: true)).Status);

        // The fast path counts a request once its response is flushed, so just after the client has it.
        await Poll.UntilAsync(() => paths.Fast.Counters.Value("portico.fastpath.requests") == fastBefore + 2, "the fast path to count both requests");
        Assert.Equal(fullBefore, paths.Full.Counters.Value("portico.fastpath.requests"));
    }

    /// <summary>What the client and the backend saw of one request, as comparable text.</summary>
    private sealed record Exchange(int Status, string Transcript);

    private async Task<Exchange> ExchangeAsync(BothPathsFixture.Side side, byte[] request, bool tls = false)
    {
        var seen = side.Backend.Requests.Count;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var stream = await paths.OpenAsync(side, tls, timeout.Token);

        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // The proxy may refuse before reading everything; what it answered still counts.
        }

        var (status, answer, requestId) = await ReadResponseAsync(new ByteReader(stream, timeout.Token), request);
        var text = new StringBuilder(answer);
        var received = side.Backend.Requests.Skip(seen).ToArray();
        text.Append($"backend requests: {received.Length}\n");
        foreach (var backend in received)
        {
            text.Append(Describe(backend, requestId));
        }

        // Each proxy has its own backend, which a request without Host gets as its Host.
        return new Exchange(status, text.ToString()
            .Replace(requestId ?? "\0", "<id>", StringComparison.Ordinal)
            .Replace(new Uri(side.Backend.Url).Authority, "<backend>", StringComparison.Ordinal));
    }

    /// <summary>One response, framed as RFC 9112 §6.3 says; fields sorted by name, Date dropped.</summary>
    private static async Task<(int Status, string Text, string? RequestId)> ReadResponseAsync(ByteReader reader, byte[] request)
    {
        byte[]? head;
        try
        {
            head = await reader.ReadHeadAsync();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            head = null;
        }

        if (head is null)
        {
            return (0, "client: no response\n", null);
        }

        var lines = Encoding.Latin1.GetString(head).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var status = int.Parse(lines[0].AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var fields = lines.Skip(1).Select(l => (Name: l[..l.IndexOf(':')].ToLowerInvariant(), Value: l[(l.IndexOf(':') + 1)..].Trim())).ToArray();
        var requestId = fields.FirstOrDefault(f => f.Name == "x-request-id").Value;
        var text = new StringBuilder($"client: {lines[0]}\n");
        foreach (var (name, value) in fields.Where(f => f.Name != "date").OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            text.Append($"  {name}: {Escape(value)}\n");
        }

        var length = fields.FirstOrDefault(f => f.Name == "content-length").Value;
        var noBody = request.AsSpan().StartsWith("HEAD "u8) || status is 204 or 304 or < 200;
        try
        {
            var body = noBody ? []
                : length is not null ? await reader.ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture))
                : await reader.ReadToEndAsync();
            text.Append($"  body: {Escape(Encoding.Latin1.GetString(body))}\n");
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            text.Append("  body: cut off\n");
        }

        return (status, text.ToString(), requestId);
    }

    /// <summary>
    /// The request line exactly; the fields by name (lower-cased), their values as bytes. Lines
    /// of one name are joined in order, as RFC 9110 §5.3 lets a proxy do (Cookie with "; ",
    /// RFC 9113 §8.2.3): the full path's client sends them on one line.
    /// </summary>
    internal static string Describe(RawRequest request, string? requestId)
    {
        var lines = request.HeadText.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var text = new StringBuilder($"  {Escape(lines[0])}\n");
        var fields = lines.Skip(1)
            .Select(l => (Name: l[..l.IndexOf(':')].ToLowerInvariant(), Value: l[(l.IndexOf(':') + 1)..].Trim(' ', '\t')))
            .GroupBy(f => f.Name)
            .Select(g => (Name: g.Key, Value: string.Join(g.Key == "cookie" ? "; " : ", ", g.Select(f => f.Value))));
        foreach (var (name, value) in fields.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            text.Append($"  {name}: {Escape(name == "x-request-id" && value == requestId ? "<id>" : value)}\n");
        }

        text.Append($"  body: {Escape(Encoding.Latin1.GetString(request.Body))}\n");
        return text.ToString();
    }

    internal static string Escape(string latin1)
    {
        var text = new StringBuilder();
        foreach (var c in latin1)
        {
            text.Append(c is < ' ' or > '~' ? $"\\x{(int)c:x2}" : c.ToString());
        }

        return text.ToString();
    }

    private static Dictionary<string, (byte[] Request, int? Status)> BuildCorpus()
    {
        var cases = new Dictionary<string, (byte[], int?)>();
        void Add(string name, string head, int? status = null) => cases.Add(name, (Encoding.Latin1.GetBytes(head), status));
        void AddBytes(string name, byte[] head, int? status = null) => cases.Add(name, (head, status));
        byte[] Utf8(string head) => Encoding.UTF8.GetBytes(head);
        const string Host = "Host: localhost\r\n";

        // Valid, every method.
        Add("get", $"GET / HTTP/1.1\r\n{Host}\r\n", 200);
        Add("get_path_query", $"GET /a/b/c.txt?x=1&y=two HTTP/1.1\r\n{Host}Accept: */*\r\nUser-Agent: both/1\r\n\r\n", 200);
        Add("head", $"HEAD /h HTTP/1.1\r\n{Host}\r\n", 200);
        Add("post_body", $"POST /p HTTP/1.1\r\n{Host}Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", 200);
        Add("post_chunked", $"POST /p HTTP/1.1\r\n{Host}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200);
        Add("put", $"PUT /r HTTP/1.1\r\n{Host}Content-Length: 3\r\n\r\nabc", 200);
        Add("delete", $"DELETE /r HTTP/1.1\r\n{Host}\r\n", 200);
        Add("options", $"OPTIONS /r HTTP/1.1\r\n{Host}\r\n", 200);
        Add("options_star", $"OPTIONS * HTTP/1.1\r\n{Host}\r\n");
        Add("patch", $"PATCH /r HTTP/1.1\r\n{Host}Content-Length: 2\r\n\r\n{{}}", 200);
        Add("trace", $"TRACE /r HTTP/1.1\r\n{Host}\r\n");
        Add("connect", $"CONNECT localhost:443 HTTP/1.1\r\n{Host}\r\n");
        Add("unknown_method", $"BREW /pot HTTP/1.1\r\n{Host}\r\n", 200);
        Add("lowercase_method", $"get / HTTP/1.1\r\n{Host}\r\n");
        Add("get_with_body", $"GET /g HTTP/1.1\r\n{Host}Content-Length: 4\r\n\r\nbody", 200);
        Add("get_content_length_0", $"GET /g HTTP/1.1\r\n{Host}Content-Length: 0\r\n\r\n", 200);
        Add("http_1_0", "GET /old HTTP/1.0\r\n\r\n", 200);
        Add("http_1_0_host_keep_alive", $"GET /old?q=1 HTTP/1.0\r\n{Host}Connection: keep-alive\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n", 200);
        Add("http_1_0_head", $"HEAD /old HTTP/1.0\r\n{Host}\r\n", 200);
        Add("http_1_0_post", $"POST /old HTTP/1.0\r\n{Host}Content-Length: 2\r\n\r\nhi", 200);
        Add("http_1_0_transfer_encoding", $"POST /old HTTP/1.0\r\n{Host}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        Add("http_1_0_host_invalid", "GET /old HTTP/1.0\r\nHost: a b\r\n\r\n", 400);
        Add("http_2_0_line", $"GET / HTTP/2.0\r\n{Host}\r\n", 505);

        // Targets.
        Add("absolute_form", $"GET http://localhost/abs?q=1 HTTP/1.1\r\n{Host}\r\n", 200);
        Add("absolute_form_other_host", $"GET http://example.com/abs HTTP/1.1\r\n{Host}\r\n");
        Add("query_odd_bytes", $"GET /q?a=\"<>{{}}|\\^`'!*();:@&=+$,[] HTTP/1.1\r\n{Host}\r\n", 200);
        Add("query_percent", $"GET /q?a=%00%ff%zz%&b=%2F HTTP/1.1\r\n{Host}\r\n", 200);
        Add("query_empty", $"GET /q? HTTP/1.1\r\n{Host}\r\n", 200);
        Add("path_percent", $"GET /a%20b/%2e%2e/c HTTP/1.1\r\n{Host}\r\n", 200);
        Add("path_dots", $"GET /a/../b/./c HTTP/1.1\r\n{Host}\r\n", 200);
        Add("path_double_slash", $"GET //a//b HTTP/1.1\r\n{Host}\r\n", 200);
        Add("target_non_ascii", $"GET /caf\u00e9 HTTP/1.1\r\n{Host}\r\n", 400);

        // Host.
        Add("host_percent_nul", "GET / HTTP/1.1\r\nHost: localhost%00\r\n\r\n", 400);
        AddBytes("host_raw_nul", Encoding.Latin1.GetBytes("GET / HTTP/1.1\r\nHost: localhost\0\r\n\r\n"), 400);
        Add("host_control", "GET / HTTP/1.1\r\nHost: local\u0001host\r\n\r\n", 400);
        Add("host_space_inside", "GET / HTTP/1.1\r\nHost: local host\r\n\r\n", 400);
        Add("host_tab_inside", "GET / HTTP/1.1\r\nHost: local\thost\r\n\r\n", 400);
        Add("host_empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 400);
        Add("host_port", "GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", 200);
        Add("host_bad_port", "GET / HTTP/1.1\r\nHost: localhost:8o\r\n\r\n", 400);
        Add("host_ipv6", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 200);
        Add("host_underscore", "GET / HTTP/1.1\r\nHost: my_host\r\n\r\n", 200);
        Add("host_empty_port", "GET / HTTP/1.1\r\nHost: localhost:\r\n\r\n", 400);
        Add("host_only_port", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400);
        Add("host_ipv6_unclosed", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400);
        Add("host_slash", "GET / HTTP/1.1\r\nHost: localhost/evil\r\n\r\n", 400);
        Add("host_at", "GET / HTTP/1.1\r\nHost: user@localhost\r\n\r\n", 400);
        AddBytes("host_utf8", Utf8("GET / HTTP/1.1\r\nHost: b\u00fccher.example\r\n\r\n"), 400);
        Add("host_missing", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400);
        Add("host_twice", $"GET / HTTP/1.1\r\n{Host}{Host}\r\n", 400);

        // Field values.
        AddBytes("value_utf8_cookie", Utf8($"GET /c HTTP/1.1\r\n{Host}Cookie: pref=\u4f60\u597d\r\n\r\n"), 200);
        AddBytes("value_utf8_custom", Utf8($"GET /c HTTP/1.1\r\n{Host}X-Name: Z\u00fcrich \u2603\r\n\r\n"), 200);
        Add("value_latin1", $"GET /c HTTP/1.1\r\n{Host}X-Name: caf\u00e9\r\n\r\n", 200);
        Add("value_latin1_user_agent", $"GET /c HTTP/1.1\r\n{Host}User-Agent: t\u00e9st\r\n\r\n", 200);
        Add("value_high_bytes", $"GET /c HTTP/1.1\r\n{Host}X-Bin: \u0080\u00ff\u00c3\u0028\r\n\r\n", 200);
        AddBytes("value_utf8_post", Utf8($"POST /c HTTP/1.1\r\n{Host}X-Name: \u4f60\u597d\r\nContent-Length: 2\r\n\r\nok"), 200);
        Add("value_nul", $"GET / HTTP/1.1\r\n{Host}X-A: a\0b\r\n\r\n", 400);
        Add("value_control", $"GET / HTTP/1.1\r\n{Host}X-A: a\u001bb\r\n\r\n", 400);
        Add("value_del", $"GET / HTTP/1.1\r\n{Host}X-A: a\u007fb\r\n\r\n", 400);
        Add("value_bare_cr", $"GET / HTTP/1.1\r\n{Host}X-A: a\rb\r\n\r\n", 400);
        Add("value_tab_inside", $"GET / HTTP/1.1\r\n{Host}X-A: a\tb\r\n\r\n", 200);
        Add("value_tabs_around", $"GET / HTTP/1.1\r\n{Host}X-A:\t a \t\r\n\r\n", 200);
        Add("response_value_latin1", $"GET /c HTTP/1.1\r\n{Host}X-Echo: caf\u00e9\r\n\r\n", 200);
        AddBytes("response_value_utf8", Utf8($"GET /c HTTP/1.1\r\n{Host}X-Echo: \u4f60\u597d\r\n\r\n"), 200);
        Add("value_empty", $"GET / HTTP/1.1\r\n{Host}X-Empty:\r\nX-Blank:   \r\n\r\n", 200);

        // Framing of fields.
        Add("obs_fold", $"GET / HTTP/1.1\r\n{Host}X-A: one\r\n  two\r\n\r\n", 400);
        Add("obs_fold_tab", $"GET / HTTP/1.1\r\n{Host}X-A: one\r\n\ttwo\r\n\r\n", 400);
        Add("space_before_colon", $"GET / HTTP/1.1\r\n{Host}X-A : v\r\n\r\n", 400);
        Add("tab_before_colon", $"GET / HTTP/1.1\r\n{Host}X-A\t: v\r\n\r\n", 400);
        Add("no_colon", $"GET / HTTP/1.1\r\n{Host}X-A v\r\n\r\n", 400);
        Add("empty_name", $"GET / HTTP/1.1\r\n{Host}: v\r\n\r\n", 400);
        Add("name_non_token", $"GET / HTTP/1.1\r\n{Host}X(A): v\r\n\r\n", 400);
        AddBytes("name_utf8", Utf8($"GET / HTTP/1.1\r\n{Host}X-\u00e9: v\r\n\r\n"), 400);
        Add("name_case", "GET / HTTP/1.1\r\nhOsT: localhost\r\nx-CuStOm: v\r\nACCEPT: */*\r\n\r\n", 200);
        Add("name_underscore", $"GET / HTTP/1.1\r\n{Host}X_Under: v\r\n\r\n", 200);
        Add("duplicates", $"GET / HTTP/1.1\r\n{Host}X-D: 1\r\nX-D: 2\r\nAccept: a\r\nAccept: b\r\n\r\n", 200);
        Add("duplicate_cookies", $"GET / HTTP/1.1\r\n{Host}Cookie: a=1\r\nCookie: b=2\r\n\r\n", 200);
        Add("bare_lf_line", $"GET / HTTP/1.1\r\n{Host}X-A: v\nX-B: w\r\n\r\n", 400);
        Add("request_id_valid", $"GET / HTTP/1.1\r\n{Host}X-Request-Id: client-id-1\r\n\r\n", 200);
        Add("request_id_invalid", $"GET / HTTP/1.1\r\n{Host}X-Request-Id: bad id with spaces\r\n\r\n", 200);
        Add("forwarded_from_client", $"GET / HTTP/1.1\r\n{Host}X-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-Forwarded-Host: evil\r\n\r\n", 200);
        Add("connection_close", $"GET / HTTP/1.1\r\n{Host}Connection: close\r\n\r\n", 200);
        Add("connection_options", $"GET / HTTP/1.1\r\n{Host}Connection: keep-alive, X-Hop\r\nX-Hop: gone\r\n\r\n", 200);
        Add("hop_by_hop", $"GET / HTTP/1.1\r\n{Host}Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X\r\n\r\n", 200);
        Add("expect_without_body", $"GET / HTTP/1.1\r\n{Host}Expect: 100-continue\r\n\r\n");
        Add("upgrade_websocket", $"GET / HTTP/1.1\r\n{Host}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        Add("both_framings", $"POST / HTTP/1.1\r\n{Host}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        Add("two_lengths", $"POST / HTTP/1.1\r\n{Host}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400);

        // Sizes near the limits (limits.maxHeadersSize 32 KiB, maxHeaderCount 100, maxRequestLine 8 KiB).
        Add("long_value", $"GET / HTTP/1.1\r\n{Host}X-Long: {new string('v', 30 * 1024)}\r\n\r\n", 200);
        Add("too_long_headers", $"GET / HTTP/1.1\r\n{Host}X-Long: {new string('v', 33 * 1024)}\r\n\r\n", 431);
        Add("many_fields", $"GET / HTTP/1.1\r\n{Host}{string.Concat(Enumerable.Range(0, 99).Select(i => $"X-F{i}: {i}\r\n"))}\r\n", 200);
        Add("too_many_fields", $"GET / HTTP/1.1\r\n{Host}{string.Concat(Enumerable.Range(0, 100).Select(i => $"X-F{i}: {i}\r\n"))}\r\n", 431);
        Add("long_target", $"GET /{new string('p', 8000)} HTTP/1.1\r\n{Host}\r\n", 200);
        Add("too_long_target", $"GET /{new string('p', 8200)} HTTP/1.1\r\n{Host}\r\n", 414);
        return cases;
    }
}
