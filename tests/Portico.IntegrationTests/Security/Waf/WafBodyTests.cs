using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Security.Waf;

/// <summary>
/// No request body shape escapes the WAF (issue 20): whatever its size, content type, framing
/// or the reads it arrives in, a body is inspected, refused, or (in `detect`) forwarded and
/// logged. `block` and `detect` refuse a body past `waf.requestBodyLimit` (128KiB here) by
/// default; `inspect` routes inspect its first 128KiB and pass the rest.
/// </summary>
public sealed class WafBodyTests(WafBodyFixture fx) : IClassFixture<WafBodyFixture>
{
    private const string Boundary = "----PorticoFormBoundary7MA4YWxkTrZu0gW";
    private const string MultipartType = "multipart/form-data; boundary=" + Boundary;
    private const string Script = "<script>alert(document.cookie)</script>";

    [Theory]
    [InlineData(127, 403)]
    [InlineData(129, 413)]
    [InlineData(200, 413)]
    [InlineData(2048, 413)]
    public async Task A_script_field_before_a_file_part_never_reaches_the_backend_whatever_the_size(int kib, int status)
    {
        var path = $"/block/upload-{kib}";

        using var response = await SendAsync(path, Multipart(kib * 1024, ("comment", Script)), MultipartType);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.DoesNotContain(fx.Backend.Requests, r => r.PathAndQuery == path);
        var entry = await fx.Audit.EntryAsync(RequestId(response));
        Assert.Equal("blocked", entry.GetProperty("action").GetString());
        Assert.Equal(status == 413 ? "body_over_limit" : "rules", entry.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_multipart_body_without_its_closing_boundary_is_refused()
    {
        var body = Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday photo\r\n--{Boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nJFIFxxxxxxxxxxxx\r\n");

        using var response = await SendAsync("/block/unterminated", body, MultipartType);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(fx.Backend.Requests, r => r.PathAndQuery == "/block/unterminated");
        Assert.Contains("99010", WafTests.RuleIds(await fx.Audit.EntryAsync(RequestId(response))));
    }

    [Fact]
    public async Task Detect_forwards_a_malformed_multipart_body_and_logs_it()
    {
        var body = Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday photo\r\n");

        using var response = await SendAsync("/detect/unterminated", body, MultipartType);

        Assert.Equal(WafFixture.Digest(body), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var entry = await fx.Audit.EntryAsync(RequestId(response));
        Assert.Equal("detected", entry.GetProperty("action").GetString());
        Assert.Contains("99010", WafTests.RuleIds(entry));
    }

    /// <summary>Attacks in every body shape, each under the limit: all refused.</summary>
    public static TheoryData<string> Shapes() => new(ShapeRequests.Keys);

    private static readonly Dictionary<string, Func<string, HttpRequestMessage>> ShapeRequests = new()
    {
        ["urlencoded"] = p => Request(p, new ByteArrayContent(Encoding.ASCII.GetBytes("comment=" + Uri.EscapeDataString(Script))), "application/x-www-form-urlencoded"),
        ["multipart"] = p => Request(p, new ByteArrayContent(Multipart(4096, ("comment", Script))), MultipartType),
        ["json"] = p => Request(p, new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"comment":"{{Script}}"}""")), "application/json"),
        ["cloudevents-json"] = p => Request(p, new ByteArrayContent(Encoding.UTF8.GetBytes($$$"""{"specversion":"1.0","type":"comment","source":"/x","id":"1","data":{"comment":"{{{Script}}}"}}""")), "application/cloudevents+json"),
        ["xml"] = p => Request(p, new ByteArrayContent(Encoding.UTF8.GetBytes($"<?xml version=\"1.0\"?><comment>{WebUtility.HtmlEncode(Script)}</comment>")), "application/xml"),
        ["chunked"] = p => Request(p, new PacedContent(Encoding.ASCII.GetBytes("comment=" + Uri.EscapeDataString(Script)), 4096, knownLength: false), "application/x-www-form-urlencoded"),
        ["many-reads"] = p => Request(p, new PacedContent(Encoding.ASCII.GetBytes("comment=" + Uri.EscapeDataString(Script)), 5, knownLength: true), "application/x-www-form-urlencoded"),
        ["unknown-type"] = p => Request(p, new ByteArrayContent(Encoding.ASCII.GetBytes(Script)), "application/x-portico-test"),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task An_attack_is_refused_in_every_body_shape(string shape)
    {
        var path = $"/block/shape-{shape}";
        using var request = ShapeRequests[shape](path);

        using var response = await fx.Proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(fx.Backend.Requests, r => r.PathAndQuery == path);
    }

    /// <summary>A body past the limit, however it is framed, is refused before anything is forwarded.</summary>
    [Theory]
    [InlineData("content-length")]
    [InlineData("chunked")]
    [InlineData("many-reads")]
    [InlineData("h2")]
    public async Task A_body_past_the_limit_is_refused_with_413_however_it_is_framed(string framing)
    {
        var path = $"/block/large-{framing}";
        var form = Encoding.ASCII.GetBytes("name=Jane+Doe&notes=" + new string('a', 300 * 1024));
        HttpContent content = framing switch
        {
            "chunked" => new PacedContent(form, 16 * 1024, knownLength: false),
            "many-reads" => new PacedContent(form, 1024, knownLength: true),
            _ => new ByteArrayContent(form),
        };
        using var request = Request(path, content, "application/x-www-form-urlencoded", http2: framing == "h2");
        using var h2 = Http2Client();

        using var response = await (framing == "h2" ? h2 : fx.Proxy.Client).SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.DoesNotContain(fx.Backend.Requests, r => r.PathAndQuery == path);
    }

    /// <summary>
    /// `detect` forwards a body past the limit whole and logs what its inspected part matched;
    /// with `reject` (the default) the entry says the body itself would have been refused.
    /// </summary>
    [Theory]
    [InlineData("/detect/upload", "body_over_limit")]
    [InlineData("/detect-inspect/upload", "rules")]
    public async Task Detect_forwards_a_body_past_the_limit_whole_and_logs_what_the_inspected_part_matched(string path, string reason)
    {
        var body = Multipart(2048 * 1024, ("comment", Script));

        using var response = await SendAsync(path, body, MultipartType);

        Assert.Equal(WafFixture.Digest(body), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var entry = await fx.Audit.EntryAsync(RequestId(response));
        Assert.Equal("detected", entry.GetProperty("action").GetString());
        Assert.Equal(reason, entry.GetProperty("reason").GetString());
        Assert.Contains(WafTests.RuleIds(entry), id => id.StartsWith("941", StringComparison.Ordinal));
    }

    /// <summary>`inspect-first`: the first 128KiB is inspected as a body of its own (a multipart one closed after its last part), the rest streams on.</summary>
    public static TheoryData<string, int, string> InspectFirstBodies() => new()
    {
        { "multipart-attack", 403, MultipartType },
        { "multipart", 200, MultipartType },
        { "json-attack", 403, "application/json" },
        { "json", 200, "application/json" },
        { "xml", 200, "application/xml" },
        { "urlencoded-attack", 403, "application/x-www-form-urlencoded" },
        { "attack-past-the-limit", 200, "application/x-www-form-urlencoded" },
    };

    [Theory]
    [MemberData(nameof(InspectFirstBodies))]
    public async Task Inspect_first_inspects_the_first_part_of_a_large_body_and_streams_the_rest(string name, int status, string contentType)
    {
        const int size = 2048 * 1024;
        var pad = new string('a', size);
        var body = name switch
        {
            "multipart-attack" => Multipart(size, ("comment", Script)),
            "multipart" => Multipart(size, ("comment", "Lovely beach")),
            "json-attack" => Encoding.UTF8.GetBytes($$"""{"comment":"{{Script}}","pad":"{{pad}}"}"""),
            "json" => Encoding.UTF8.GetBytes($$"""{"comment":"Lovely beach","pad":"{{pad}}"}"""),
            "xml" => Encoding.UTF8.GetBytes($"<?xml version=\"1.0\"?><doc><comment>Lovely beach</comment><pad>{pad}</pad></doc>"),
            "urlencoded-attack" => Encoding.ASCII.GetBytes($"comment={Uri.EscapeDataString(Script)}&pad={pad}"),
            _ => Encoding.ASCII.GetBytes($"pad={pad}&comment={Uri.EscapeDataString(Script)}"),
        };
        var path = $"/inspect/{name}";

        using var response = await SendAsync(path, body, contentType);

        Assert.Equal(status, (int)response.StatusCode);
        if (status == 200)
        {
            Assert.Equal(WafFixture.Digest(body), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        else
        {
            Assert.DoesNotContain(fx.Backend.Requests, r => r.PathAndQuery == path);
        }
    }

    /// <summary>
    /// A body in a content coding is inspected decoded (RFC 9110 §8.4): the backend decodes it,
    /// so an attack gzipped past the engine would reach it. Each coding Portico decodes, stacked
    /// ones, and HTTP/2; on a route that accepts encoded bodies, and on one that keeps the CRS's
    /// refusal of them (rule 920450), where the attack is named too.
    /// </summary>
    [Theory]
    [InlineData("gzip", false)]
    [InlineData("x-gzip", false)]
    [InlineData("br", false)]
    [InlineData("deflate", false)]
    [InlineData("zstd", false)]
    [InlineData("gzip, br", false)]
    [InlineData("gzip", true)]
    [InlineData("gzip", false, "block")]
    public async Task An_attack_in_an_encoded_body_is_refused(string contentEncoding, bool http2, string route = "coded")
    {
        var path = $"/{route}/encoded-{contentEncoding.Replace(", ", "-")}-{(http2 ? "h2" : "h1")}";
        var form = Encoding.ASCII.GetBytes("comment=" + Uri.EscapeDataString(Script));
        using var request = Request(path, Encoded(contentEncoding, form), "application/x-www-form-urlencoded", http2);
        using var h2 = Http2Client();

        using var response = await (http2 ? h2 : fx.Proxy.Client).SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(fx.Backend.Requests, r => r.PathAndQuery == path);
        Assert.Contains(WafTests.RuleIds(await fx.Audit.EntryAsync(RequestId(response))), id => id.StartsWith("941", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_harmless_encoded_body_reaches_the_backend_as_the_client_sent_it()
    {
        var content = Encoded("gzip", Encoding.ASCII.GetBytes("comment=Lovely+beach&name=Jane+Doe"));
        var sent = await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        using var request = Request("/coded/encoded-harmless", content, "application/x-www-form-urlencoded");

        using var response = await fx.Proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: " + (response.StatusCode == HttpStatusCode.OK ? "" : (await fx.Audit.EntryAsync(RequestId(response))).ToString()));
        Assert.Equal(WafFixture.Digest(sent), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// A body that decodes past the limit is over it, however small it was sent (10 MiB of form
    /// gzipped to a few KiB): refused with 413 by `reject`, its first decoded part inspected by
    /// `inspect-first`; never decoded whole.
    /// </summary>
    [Theory]
    [InlineData("/coded/encoded-bomb", false, 413)]
    [InlineData("/coded-inspect/encoded-bomb-attack", true, 403)]
    [InlineData("/coded-inspect/encoded-bomb", false, 200)]
    public async Task A_body_that_decodes_past_the_limit_is_over_the_limit(string path, bool attack, int status)
    {
        var form = Encoding.ASCII.GetBytes((attack ? "comment=" + Uri.EscapeDataString(Script) : "name=Jane+Doe") + "&pad=" + new string('a', 10 * 1024 * 1024));
        var content = Encoded("gzip", form);
        var sent = await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.True(sent.Length < 128 * 1024, $"{sent.Length} bytes sent");
        using var request = Request(path, content, "application/x-www-form-urlencoded");

        using var response = await fx.Proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(status, (int)response.StatusCode);
        if (status == 200)
        {
            Assert.Equal(WafFixture.Digest(sent), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        else
        {
            Assert.DoesNotContain(fx.Backend.Requests, r => r.PathAndQuery == path);
        }
    }

    /// <summary>
    /// A body that is not in the coding it names, or in one Portico cannot decode, could not be
    /// inspected: `block` refuses it (400; 415 naming the codings it accepts, RFC 9110 §12.5.3),
    /// `detect` forwards it and says why in the audit log.
    /// </summary>
    [Theory]
    [InlineData("/coded/undecodable", "gzip", 400, "blocked", "body_undecodable")]
    [InlineData("/coded/unsupported", "compress", 415, "blocked", "encoding_unsupported")]
    [InlineData("/coded/unsupported-stacked", "gzip, compress", 415, "blocked", "encoding_unsupported")]
    [InlineData("/coded-detect/undecodable", "gzip", 200, "detected", "body_undecodable")]
    [InlineData("/coded-detect/unsupported", "compress", 200, "detected", "encoding_unsupported")]
    public async Task A_body_that_cannot_be_decoded_is_not_forwarded_uninspected(string path, string contentEncoding, int status, string action, string reason)
    {
        var body = Encoding.ASCII.GetBytes("comment=" + Uri.EscapeDataString(Script));
        var content = new ByteArrayContent(body);
        foreach (var coding in contentEncoding.Split(", "))
        {
            content.Headers.ContentEncoding.Add(coding);
        }

        using var request = Request(path, content, "application/x-www-form-urlencoded");

        using var response = await fx.Proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(status == 200, fx.Backend.Requests.Any(r => r.PathAndQuery == path));
        Assert.Equal(status == 415 ? "gzip, deflate, br, zstd" : null, response.Headers.NonValidated.TryGetValues("Accept-Encoding", out var accepted) ? accepted.ToString() : null);
        var entry = await fx.Audit.EntryAsync(RequestId(response));
        Assert.Equal(action, entry.GetProperty("action").GetString());
        Assert.Equal(reason, entry.GetProperty("reason").GetString());
    }

    /// <summary><paramref name="data"/> in <paramref name="contentEncoding"/>'s codings, applied in order, with the header naming them.</summary>
    private static ByteArrayContent Encoded(string contentEncoding, byte[] data)
    {
        var codings = contentEncoding.Split(", ");
        var content = new ByteArrayContent(codings.Aggregate(data, (bytes, coding) => BodyRewrite.BodyRewriteTests.Encode(coding == "x-gzip" ? "gzip" : coding, bytes)));
        foreach (var coding in codings)
        {
            content.Headers.ContentEncoding.Add(coding);
        }

        return content;
    }

    /// <summary>
    /// Issue 20: after WAF-blocked 327KiB bodies Kestrel logged "Reading is already in progress"
    /// from ValidatingPipeReader. Several such refusals on one keep-alive connection (both the
    /// refusal after inspection and the 413 before it), over HTTP/1.1 and h2c, then an ordinary
    /// request on the same client: every answer right, no error logged.
    /// </summary>
    [Theory]
    [InlineData("http1")]
    [InlineData("h2")]
    public async Task Refusing_large_bodies_on_a_kept_alive_connection_logs_no_error(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        var form = Encoding.ASCII.GetBytes($"comment={Uri.EscapeDataString(Script)}&pad=" + new string('a', 327 * 1024));
        using var client = protocol == "h2" ? Http2Client() : new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = fx.Proxy.Address };
        var before = fx.Proxy.Logs.Lines.Count;

        for (var i = 0; i < 6; i++)
        {
            var (route, status) = i % 2 == 0 ? ("inspect", HttpStatusCode.Forbidden) : ("block", HttpStatusCode.RequestEntityTooLarge);
            using var request = Request($"/{route}/keepalive-{protocol}-{i}", new ByteArrayContent(form), "application/x-www-form-urlencoded", http2: protocol == "h2");
            using var response = await client.SendAsync(request, ct);
            Assert.Equal(status, response.StatusCode);
        }

        using var ordinary = await client.SendAsync(Request($"/block/keepalive-{protocol}-after", null, null, http2: protocol == "h2"), ct);
        Assert.Equal(HttpStatusCode.OK, ordinary.StatusCode);
        var errors = fx.Proxy.Logs.Lines.Skip(before).Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).ToArray();
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{e.Category} {e.EventId}: {e.Message} {e.Exception}")));
    }

    /// <summary>
    /// Issue 20's "Reading is already in progress": a client sends a request whose body is
    /// longer than the inspected part, and shuts down its sending side. Kestrel's body reader
    /// keeps a read that holds the whole body until the body is consumed; the WAF refuses the
    /// request after reading its first part, the client's FIN aborts the request, so Kestrel
    /// skips consuming the rest and reads again. The connection must end without an error.
    /// (Kestrel's socket transport reports the FIN this way; scripts/test.sh runs both.)
    /// </summary>
    [Theory]
    [InlineData(130)]
    [InlineData(327)]
    public async Task A_client_hanging_up_after_a_refused_large_body_leaves_no_error_in_the_log(int kib)
    {
        var form = Encoding.ASCII.GetBytes($"comment={Uri.EscapeDataString(Script)}&pad=" + new string('a', kib * 1024));
        var head = Encoding.ASCII.GetBytes($"POST /inspect/hangup HTTP/1.1\r\nHost: shop.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {form.Length}\r\n\r\n");
        byte[] twice = [.. head, .. form, .. head, .. form];
        var before = fx.Proxy.Logs.Lines.Count;

        for (var i = 0; i < 20; i++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(fx.Proxy.Address.Host, fx.Proxy.Address.Port, TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(i % 2 == 0 ? twice : twice.AsMemory(0, head.Length + form.Length), TestContext.Current.CancellationToken);
            client.Client.Shutdown(SocketShutdown.Send);
            var response = await RawHttp.ReadToCloseAsync(stream, 15);
            Assert.True(response.Closed, "the proxy closed the connection");
        }

        var errors = fx.Proxy.Logs.Lines.Skip(before).Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).ToArray();
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{e.Category} {e.EventId}: {e.Message} {e.Exception}")));
    }

    private HttpClient Http2Client() => new(new SocketsHttpHandler()) { BaseAddress = fx.Proxy.Addresses[1] };

    private async Task<HttpResponseMessage> SendAsync(string path, byte[] body, string contentType)
    {
        using var request = Request(path, new ByteArrayContent(body), contentType);
        return await fx.Proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A request for shop.example.com; with <paramref name="http2"/>, HTTP/2 with prior knowledge (the h2c listener).</summary>
    private static HttpRequestMessage Request(string path, HttpContent? content, string? contentType, bool http2 = false)
    {
        var request = new HttpRequestMessage(content is null ? HttpMethod.Get : HttpMethod.Post, path)
        {
            Content = content,
            Version = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = "shop.example.com";
        if (content is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType!);
        }

        return request;
    }

    private static string RequestId(HttpResponseMessage response) => response.Headers.GetValues("X-Request-Id").Single();

    /// <summary>A browser-shaped multipart form of exactly <paramref name="size"/> bytes: the fields, then a JPEG file part filling the rest.</summary>
    internal static byte[] Multipart(int size, params (string Name, string Value)[] fields)
    {
        var head = new StringBuilder();
        foreach (var (name, value) in fields)
        {
            head.Append($"--{Boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        }

        head.Append($"--{Boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"IMG_2041.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
        var tail = $"\r\n--{Boundary}--\r\n";
        var filler = size - Encoding.UTF8.GetByteCount(head.ToString()) - tail.Length;
        return Encoding.UTF8.GetBytes(head + new string('x', filler) + tail);
    }

    /// <summary>A body written in pieces of <paramref name="piece"/> bytes, each flushed on its own; without a known length HTTP/1.1 sends it chunked.</summary>
    private sealed class PacedContent(byte[] body, int piece, bool knownLength) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (var i = 0; i < body.Length; i += piece)
            {
                await stream.WriteAsync(body.AsMemory(i, Math.Min(piece, body.Length - i)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return knownLength;
        }
    }
}
