using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Security.Waf;

/// <summary>
/// The WAF with Debian's OWASP CRS 3.3.4 at paranoia level 1: CRS's own detections are refused
/// in `block` (and never reach the backend), forwarded and logged in `detect`; ordinary traffic
/// passes `block` untouched.
/// </summary>
public sealed class WafTests(WafFixture waf) : IClassFixture<WafFixture>
{
    private const string Host = "shop.example.com";

    /// <summary>Attacks CRS detects, each with the rule family (id prefix) that must catch it.</summary>
    private static readonly Dictionary<string, (Func<string, HttpRequestMessage> Build, string RulePrefix)> Attacks = new()
    {
        ["sql-injection"] = (p => Get($"{p}/items?id=1%27%20or%201%3D1--"), "942"),
        ["sql-injection-in-json"] = (p => Post($"{p}/api/search", """{"query":"x' UNION SELECT password FROM users--"}""", "application/json"), "942"),
        ["xss"] = (p => Get($"{p}/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E"), "941"),
        ["path-traversal"] = (p => Get($"{p}/download?file=..%2F..%2F..%2Fetc%2Fpasswd"), "930"),
        ["command-injection"] = (p => Post($"{p}/ping", "host=127.0.0.1%3Bcat%20%2Fetc%2Fpasswd", "application/x-www-form-urlencoded"), "932"),
        ["scanner-user-agent"] = (p => WithAgent(Get($"{p}/"), "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)"), "913"),
    };

    public static TheoryData<string> AttackNames() => new(Attacks.Keys);

    [Theory]
    [MemberData(nameof(AttackNames))]
    public async Task Block_mode_refuses_an_attack_with_403_and_never_forwards_it(string attack)
    {
        var ct = TestContext.Current.CancellationToken;
        using var request = Attacks[attack].Build($"/block/{attack}");

        using var response = await waf.Proxy.Client.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        Assert.Contains($"request {requestId}", body);
        Assert.DoesNotContain(waf.Backend.Requests, r => r.PathAndQuery.StartsWith($"/block/{attack}", StringComparison.Ordinal));
        var entry = await waf.AuditEntryAsync(requestId);
        Assert.Equal("blocked", entry.GetProperty("action").GetString());
        Assert.Equal("block", entry.GetProperty("route").GetString());
        var rules = RuleIds(entry);
        Assert.Contains(rules, id => id.StartsWith(Attacks[attack].RulePrefix, StringComparison.Ordinal));
        Assert.Contains("949110", rules);
        Assert.All(entry.GetProperty("rules").EnumerateArray(), r => Assert.False(string.IsNullOrEmpty(r.GetProperty("msg").GetString())));
    }

    [Theory]
    [MemberData(nameof(AttackNames))]
    public async Task Detect_mode_forwards_an_attack_and_logs_it(string attack)
    {
        var ct = TestContext.Current.CancellationToken;
        using var request = Attacks[attack].Build($"/detect/{attack}");

        using var response = await waf.Proxy.Client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(waf.Backend.Requests, r => r.PathAndQuery.StartsWith($"/detect/{attack}", StringComparison.Ordinal));
        var entry = await waf.AuditEntryAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("detected", entry.GetProperty("action").GetString());
        Assert.Equal("detect", entry.GetProperty("route").GetString());
        Assert.Contains(RuleIds(entry), id => id.StartsWith(Attacks[attack].RulePrefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ordinary_traffic_passes_block_mode_whole_and_unlogged()
    {
        var ct = TestContext.Current.CancellationToken;
        var random = new Random(5);
        var photo = new byte[40 * 1024];
        random.NextBytes(photo);
        var json = """{"customer":{"id":42,"email":"jane.doe@example.com","name":"Jane Doe"},"items":[{"sku":"AB-1234","qty":2,"price":19.99},{"sku":"CD-9","qty":1,"price":5}],"note":"Please leave it at the door, thanks!","gift":false}""";
        var form = "name=Jane+Doe&email=jane.doe%40example.com&phone=%2B44+20+7946+0958&message=Hello%2C+I+would+like+to+order+three+items.+Thanks%21&subscribe=on";
        var requests = new List<(string Name, HttpRequestMessage Request, string? Digest)>
        {
            ("browser page", Browser(Get("/block/products/shoes?color=blue&size=42&sort=price_asc&page=2")), null),
            ("browser asset", Browser(Get("/block/static/app.3f9a1c.js")), null),
            ("html form post", Browser(Post("/block/contact", form, "application/x-www-form-urlencoded")), Digest(form)),
            ("json create", Api(Post("/block/api/orders", json, "application/json")), Digest(json)),
            ("json update", Api(new HttpRequestMessage(HttpMethod.Put, "/block/api/orders/42") { Content = new StringContent(json, Encoding.UTF8, "application/json") }), Digest(json)),
            ("json patch", Api(new HttpRequestMessage(HttpMethod.Patch, "/block/api/orders/42") { Content = new StringContent("""{"status":"shipped"}""", Encoding.UTF8, "application/json") }), null),
            ("json delete", Api(new HttpRequestMessage(HttpMethod.Delete, "/block/api/orders/42")), null),
            ("json list", Api(Get("/block/api/orders?limit=20&offset=40&fields=id,total,status")), null),
            ("multipart upload", Browser(Upload("/block/photos", photo)), null),
            ("chunked json", Api(new HttpRequestMessage(HttpMethod.Post, "/block/api/events") { Content = Chunked(Encoding.UTF8.GetBytes(json), "application/json") }), Digest(json)),
        };

        foreach (var (name, request, digest) in requests)
        {
            using (request)
            {
                using var response = await waf.Proxy.Client.SendAsync(request, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode} {await AuditOfAsync(response)}");
                if (digest is not null)
                {
                    Assert.Equal(digest, body);
                }

                var requestId = response.Headers.GetValues("X-Request-Id").Single();
                Assert.Null(waf.FindAudit(requestId));
            }
        }
    }

    [Fact]
    public async Task With_inspect_first_a_body_larger_than_the_inspection_limit_streams_to_the_backend_whole()
    {
        var ct = TestContext.Current.CancellationToken;
        var video = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(video);
        using var upload = Upload("/inspect/videos", video);
        var contentType = upload.Content!.Headers.ContentType!.ToString();
        var body = await upload.Content.ReadAsByteArrayAsync(ct);

        foreach (var chunked in new[] { false, true })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/inspect/videos") { Content = chunked ? Chunked(body, contentType) : Binary(body, contentType) };
            request.Headers.Host = Host;

            using var response = await waf.Proxy.Client.SendAsync(request, ct);

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"chunked={chunked}: {(int)response.StatusCode} {await AuditOfAsync(response)}");
            Assert.Equal(Digest(body), await response.Content.ReadAsStringAsync(ct));
        }
    }

    [Fact]
    public async Task With_inspect_first_an_attack_within_the_inspected_part_of_a_large_body_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var form = "comment=" + Uri.EscapeDataString("<script>alert(1)</script>") + "&padding=" + new string('a', 1024 * 1024);
        using var request = Post("/inspect/comments", form, "application/x-www-form-urlencoded");

        using var response = await waf.Proxy.Client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(waf.Backend.Requests, r => r.PathAndQuery == "/inspect/comments");
    }

    [Fact]
    public async Task A_route_excluding_a_rule_id_lets_that_rule_s_detection_through()
    {
        var ct = TestContext.Current.CancellationToken;
        const string scanner = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000002)";

        using var excluded = await waf.Proxy.Client.SendAsync(WithAgent(Get("/excluded/scan"), scanner), ct);
        using var blocked = await waf.Proxy.Client.SendAsync(WithAgent(Get("/block/scan"), scanner), ct);
        using var stillInspected = await waf.Proxy.Client.SendAsync(Get("/excluded/items?id=1%27%20or%201%3D1--"), ct);

        Assert.Equal(HttpStatusCode.OK, excluded.StatusCode);
        Assert.Contains(waf.Backend.Requests, r => r.PathAndQuery == "/excluded/scan");
        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, stillInspected.StatusCode);
    }

    [Fact]
    public async Task A_route_without_the_waf_is_not_inspected()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await waf.Proxy.Client.SendAsync(Get("/plain/items?id=1%27%20or%201%3D1--"), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(waf.FindAudit(response.Headers.GetValues("X-Request-Id").Single()));
    }

    [Fact]
    public async Task Concurrent_requests_each_get_their_own_verdict_and_their_own_audit_entry()
    {
        var blocked = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var result = await Load.RunAsync(240, workers: 8, TimeSpan.FromSeconds(120), async i =>
        {
            var attack = i % 3 == 0;
            using var request = attack ? Get($"/block/c{i}?q=c{i}%27%20or%201%3D1--") : Api(Post($"/block/c{i}", $$"""{"n":{{i}},"text":"order {{i}}"}""", "application/json"));
            using var response = await waf.Proxy.Client.SendAsync(request);
            if (attack)
            {
                blocked[response.Headers.GetValues("X-Request-Id").Single()] = i;
            }

            return response.StatusCode == (attack ? HttpStatusCode.Forbidden : HttpStatusCode.OK);
        });

        Assert.True(result.Failed == 0, $"{result.Failed} failed: {string.Join("; ", result.SampleFailures)}");
        Assert.Equal(240, result.Ok);
        // Only this test's paths (/block/c17), not /block/contact or /block/comments of the others.
        Assert.Equal(160, waf.Backend.Requests.Count(r => System.Text.RegularExpressions.Regex.IsMatch(r.PathAndQuery, "^/block/c[0-9]+$")));
        foreach (var (requestId, i) in blocked)
        {
            // The rule messages reach the transaction that matched them, never a neighbour's.
            var entry = await waf.AuditEntryAsync(requestId);
            var data = entry.GetProperty("rules").EnumerateArray().Where(r => r.TryGetProperty("data", out _)).Select(r => r.GetProperty("data").GetString()!).ToArray();
            Assert.Contains(data, d => d.Contains($"c{i}'", StringComparison.Ordinal));
            Assert.DoesNotContain(data, d => System.Text.RegularExpressions.Regex.IsMatch(d, $"c(?!{i}')[0-9]+'"));
        }
    }

    [Fact]
    public async Task Blocks_are_counted_as_local_answers_and_by_the_waf_meter()
    {
        var ct = TestContext.Current.CancellationToken;
        // Counted from this test's start: the class's other tests share the proxy. A request of
        // theirs is counted just before it stops being in progress, which may be after its client
        // has the answer: wait for none to be in progress first.
        using (var active = new MetricCollector<long>(waf.Proxy.Services.GetRequiredService<IMeterFactory>(), "Portico.Proxy", "portico.active.requests"))
        {
            await Poll.UntilAsync(
                () =>
                {
                    active.RecordObservableInstruments();
                    return active.LastMeasurement?.Value == 0;
                },
                "the class's earlier requests to end");
        }

        using var counters = new ProxyCounters(waf.Proxy, "portico.");
        using (var response = await waf.Proxy.Client.SendAsync(Get("/block/metrics?id=1%27%20or%201%3D1--"), ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        await Poll.UntilAsync(() => counters.Value("portico.local.responses", ("reason", "waf_blocked")) >= 1, "the block to be counted as a local answer");
        Assert.Equal(1, counters.Value("portico.local.responses", ("reason", "waf_blocked")));
        Assert.Equal(1, counters.Value("portico.waf.requests", ("route", "block"), ("outcome", "blocked")));

        // And the exporter shows each as one series under its Prometheus name and labels (only
        // this proxy's: the other proxies of the test process stay off its /metrics).
        using var admin = new HttpClient();
        var metrics = new PrometheusText(await admin.GetStringAsync(new Uri(waf.Proxy.AdminAddress!, "/metrics"), ct));
        Assert.True(metrics.Value("portico_local_responses_total", ("reason", "waf_blocked")) >= 1);
        Assert.True(metrics.Value("portico_waf_requests_total", ("route", "block"), ("outcome", "blocked")) >= 1);
    }

    [Fact]
    public async Task The_admin_api_shows_the_waf_settings()
    {
        using var admin = new HttpClient { BaseAddress = waf.Proxy.AdminAddress };

        var config = JsonDocument.Parse(await admin.GetStringAsync("/api/config", TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(65536, config.GetProperty("waf").GetProperty("requestBodyLimitBytes").GetInt64());
        Assert.Equal("reject", config.GetProperty("waf").GetProperty("requestBodyLimitAction").GetString());
        Assert.Equal("inspect-first", config.GetProperty("routes").GetProperty("inspect").GetProperty("waf").GetProperty("requestBodyLimitAction").GetString());
        Assert.Equal("/usr/share/modsecurity-crs", config.GetProperty("waf").GetProperty("crs").GetString());
        var excluded = config.GetProperty("routes").GetProperty("excluded").GetProperty("waf");
        Assert.Equal("block", excluded.GetProperty("mode").GetString());
        Assert.Equal("913100", excluded.GetProperty("excludeRules")[0].GetString());
        Assert.Equal("off", config.GetProperty("routes").GetProperty("open").GetProperty("waf").GetProperty("mode").GetString());
    }

    /// <summary>For failure messages: the audit entry of a refused request.</summary>
    private async Task<string> AuditOfAsync(HttpResponseMessage response)
        => response.StatusCode == HttpStatusCode.Forbidden ? (await waf.AuditEntryAsync(response.Headers.GetValues("X-Request-Id").Single())).ToString() : "";

    internal static string[] RuleIds(JsonElement entry) => entry.GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToArray();

    private static string Digest(string body) => WafFixture.Digest(Encoding.UTF8.GetBytes(body));

    private static string Digest(byte[] body) => WafFixture.Digest(body);

    internal static HttpRequestMessage Get(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = Host;
        return request;
    }

    internal static HttpRequestMessage Post(string path, string body, string contentType)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Host = Host;
        return request;
    }

    private static HttpRequestMessage WithAgent(HttpRequestMessage request, string agent)
    {
        request.Headers.TryAddWithoutValidation("User-Agent", agent);
        return request;
    }

    /// <summary>The headers a desktop browser sends.</summary>
    private static HttpRequestMessage Browser(HttpRequestMessage request)
    {
        request.Headers.Host = Host;
        var h = request.Headers;
        h.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");
        h.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8");
        h.TryAddWithoutValidation("Accept-Language", "en-GB,en;q=0.9,fr;q=0.8");
        h.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate, br, zstd");
        h.TryAddWithoutValidation("Cookie", "session=4f9c2a7e1b3d5f60; theme=dark; consent=analytics%3Dfalse");
        h.TryAddWithoutValidation("Referer", "https://shop.example.com/products?category=shoes");
        h.TryAddWithoutValidation("Upgrade-Insecure-Requests", "1");
        h.TryAddWithoutValidation("Sec-Fetch-Dest", "document");
        h.TryAddWithoutValidation("Sec-Fetch-Mode", "navigate");
        h.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");
        h.TryAddWithoutValidation("Sec-CH-UA", "\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"");
        h.TryAddWithoutValidation("Cache-Control", "max-age=0");
        return request;
    }

    /// <summary>The headers a JSON API client sends.</summary>
    private static HttpRequestMessage Api(HttpRequestMessage request)
    {
        request.Headers.Host = Host;
        request.Headers.TryAddWithoutValidation("User-Agent", "orders-client/2.4 (+https://example.com)");
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInNjb3BlIjoib3JkZXJzIn0.c2lnbmF0dXJl");
        return request;
    }

    private static HttpRequestMessage Upload(string path, byte[] photo)
    {
        var content = new MultipartFormDataContent
        {
            { new StringContent("Holiday photo, day 3"), "title" },
            { new StringContent("Taken at the beach near our hotel."), "description" },
        };
        var file = new ByteArrayContent(photo);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("image/jpeg");
        content.Add(file, "photo", "IMG_2041.jpg");
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    private static ByteArrayContent Binary(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    /// <summary>A body without Content-Length, so HTTP/1.1 sends it chunked.</summary>
    private static StreamContent Chunked(byte[] body, string contentType)
    {
        var content = new StreamContent(new UnseekableStream(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
