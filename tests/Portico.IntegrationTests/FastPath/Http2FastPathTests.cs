using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// The fast path for HTTP/2 requests (FastPath/StreamRequests): over h2c and over h2 (TLS, ALPN),
/// a request it takes gets what the HTTP/1.1 fast path and the full pipeline give it (forwarded
/// fields, hidden and connection-specific fields removed, X-Request-Id, a chunked body reframed,
/// cache hits, retries, the 502 and 504 pages, the access log), and anything else is handed to the
/// full pipeline one request at a time. Each test reads the fast path's own counters, so it fails
/// if the path it is about did not serve (or hand over) the requests; each passes the same way
/// whatever PORTICO_FASTPATH says, since it starts its proxy with the fast path on.
/// </summary>
public sealed class Http2FastPathTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    private string Config(string destinations, string routes = "", string extra = "", string cluster = "") => $$"""
        {{Http2Clients.Listeners(_pki)}}
        routes:
          {{routes}}
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{destinations}}] {{cluster}} }
        {{extra}}
        """;

    /// <summary>An HTTP/2-only client of the listener <paramref name="protocol"/> names: prior knowledge on h2c, ALPN h2 over TLS.</summary>
    private HttpClient Client(TestProxy proxy, string protocol, out Uri root) => Http2Clients.Create(proxy, protocol, _pki.Root, out root);

    private static ProxyCounters Counters(TestProxy proxy) => new(proxy, "portico.fastpath.", "portico.active.requests", "portico.retries");

    private static async Task AssertServedAsync(ProxyCounters counters, long expected)
    {
        await Poll.UntilAsync(() => counters.Value("portico.fastpath.requests") >= expected && counters.Observe("portico.active.requests") == 0, $"{expected} fast-path requests");
        Assert.Equal(expected, counters.Value("portico.fastpath.requests"));
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task A_get_takes_the_fast_path_with_forwarded_fields_and_without_connection_specific_fields(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            ctx.Response.Headers["X-Powered-By"] = "secret";
            ctx.Response.Headers.Connection = "X-Hop";
            ctx.Response.Headers["X-Hop"] = "dropped";
            ctx.Response.Headers["Keep-Alive"] = "timeout=5";
            ctx.Response.Headers["Set-Cookie"] = new(["a=1", "b=2"]);

            // Two flushes: a chunked body, which HTTP/2 must carry in DATA frames without its framing.
            await ctx.Response.WriteAsync($"{ctx.Request.Path}{ctx.Request.QueryString}|", ct);
            await ctx.Response.Body.FlushAsync(ct);
            await ctx.Response.WriteAsync(new string('x', 70_000), ct);
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: true);
        using var counters = Counters(proxy);
        using var client = Client(proxy, protocol, out var root);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, "/a/b?q=1")) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Add("Cookie", "c=1");
        using var response = await client.SendAsync(request, ct);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/a/b?q=1|" + new string('x', 70_000), await response.Content.ReadAsStringAsync(ct));
        Assert.False(response.Headers.Contains("X-Powered-By"));
        Assert.False(response.Headers.Contains("Server"));
        Assert.False(response.Headers.Contains("X-Hop"));
        Assert.False(response.Headers.Contains("Keep-Alive"));
        Assert.Empty(response.Headers.Connection);
        Assert.Equal(["a=1", "b=2"], response.Headers.GetValues("Set-Cookie"));
        Assert.Single(response.Headers.GetValues("X-Request-Id"));
        await AssertServedAsync(counters, 1);

        var seen = Assert.Single(backend.Requests);
        var scheme = protocol == "h2" ? "https" : "http";
        Assert.Equal("/a/b?q=1", seen.PathAndQuery);
        Assert.Equal(root.Authority, seen.Headers["Host"]);
        Assert.Equal("127.0.0.1", seen.Headers["X-Forwarded-For"]);
        Assert.Equal(scheme, seen.Headers["X-Forwarded-Proto"]);
        Assert.Equal($"for=127.0.0.1;proto={scheme};host=\"{root.Authority}\"", seen.Headers["Forwarded"]);
        Assert.Equal("c=1", seen.Headers["Cookie"]);
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), seen.Headers["X-Request-Id"]);
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task A_head_request_gets_the_length_and_no_body_and_the_access_log_says_http2(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        var log = Path.Combine(Directory.CreateTempSubdirectory("portico-log-").FullName, "access.log");
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.ContentLength = 5;
            return ctx.Response.WriteAsync("12345", ct);
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, extra: $"accessLog: {{ output: \"{log}\" }}"), fastPath: true);
        using var counters = Counters(proxy);
        using var client = Client(proxy, protocol, out var root);

        using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(root, "/h")) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(ct));
        await AssertServedAsync(counters, 1);
        string[] lines = [];
        await Poll.UntilAsync(() => File.Exists(log) && (lines = File.ReadAllLines(log)).Length >= 1, "one access-log line");
        using var entry = System.Text.Json.JsonDocument.Parse(Assert.Single(lines));
        Assert.Equal("HTTP/2", entry.RootElement.GetProperty("protocol").GetString());
        Assert.Equal("HEAD", entry.RootElement.GetProperty("method").GetString());
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task A_fresh_hit_is_answered_on_the_fast_path_and_a_miss_is_handed_over(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = 0;
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            return ctx.Response.WriteAsync($"stored-{Interlocked.Increment(ref calls)}", ct);
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, routes: "cached: { match: { pathPrefix: /cached }, cluster: app, cache: {} }"), fastPath: true);
        using var counters = Counters(proxy);
        using var client = Client(proxy, protocol, out var root);

        using var miss = await client.GetAsync(new Uri(root, "/cached/x"), ct);
        Assert.Equal("stored-1", await miss.Content.ReadAsStringAsync(ct));
        await Poll.UntilAsync(() => counters.Value("portico.fastpath.handovers", ("reason", "cache")) == 1 && counters.Observe("portico.active.requests") == 0, "the miss handed over");
        using var hit = await client.GetAsync(new Uri(root, "/cached/x"), ct);

        Assert.Equal("stored-1", await hit.Content.ReadAsStringAsync(ct));
        Assert.StartsWith("Portico; hit", Assert.Single(hit.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        Assert.Equal(8, hit.Content.Headers.ContentLength);
        await AssertServedAsync(counters, 1);
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task A_request_with_a_body_is_handed_to_the_full_pipeline_whole(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            await ctx.Response.WriteAsync($"{ctx.Request.Method}:{await reader.ReadToEndAsync(ct)}", ct);
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: true);
        using var counters = Counters(proxy);
        using var client = Client(proxy, protocol, out var root);

        using var response = await client.PostAsync(new Uri(root, "/p"), new StringContent("payload"), ct);

        Assert.Equal("POST:payload", await response.Content.ReadAsStringAsync(ct));
        await Poll.UntilAsync(() => counters.Value("portico.fastpath.handovers", ("reason", "body_or_upgrade")) == 1, "the POST handed over");
        Assert.Equal(0, counters.Value("portico.fastpath.requests"));

        // The next request on the same connection takes the fast path again: only the request was handed over.
        using var next = await client.GetAsync(new Uri(root, "/g"), ct);
        Assert.Equal("GET:", await next.Content.ReadAsStringAsync(ct));
        await AssertServedAsync(counters, 1);
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task A_failed_destination_is_retried_and_when_none_answers_the_502_page_is_the_fast_paths(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync("alive", ct));
        var dead = $"http://127.0.0.1:{FreePorts.Take()}";
        await using var proxy = await TestProxy.StartAsync(Config($"{dead}, {dead.Replace("127.0.0.1", "127.0.0.2")}", cluster: ", retries: 1, loadBalancing: round-robin"), fastPath: true);
        using var counters = Counters(proxy);
        using var client = Client(proxy, protocol, out var root);

        using var failed = await client.GetAsync(new Uri(root, "/x"), ct);

        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        var page = await failed.Content.ReadAsStringAsync(ct);
        Assert.Equal(page.Length, failed.Content.Headers.ContentLength);
        await AssertServedAsync(counters, 1);
        Assert.Equal(1, counters.Value("portico.retries"));

        await using var second = await TestProxy.StartAsync(Config($"{dead}, {backend.Url}", cluster: ", retries: 1, loadBalancing: round-robin"), fastPath: true);
        using var secondCounters = Counters(second);
        using var secondClient = Client(second, protocol, out var secondRoot);
        var bodies = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await secondClient.GetAsync(new Uri(secondRoot, "/y"), ct);
            bodies.Add(await response.Content.ReadAsStringAsync(ct));
        }

        Assert.Equal(["alive", "alive"], bodies);
        await AssertServedAsync(secondCounters, 2);
        Assert.Equal(1, secondCounters.Value("portico.retries"));
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task A_backend_slower_than_the_route_timeout_gets_the_504_page(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        using var release = new CancellationTokenSource();
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            await Task.Delay(Timeout.Infinite, release.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            await ctx.Response.WriteAsync("late", CancellationToken.None);
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, routes: "slow: { match: { pathPrefix: /slow }, cluster: app, timeout: 1s }"), fastPath: true);
        using var counters = Counters(proxy);
        using var client = Client(proxy, protocol, out var root);

        using var response = await client.GetAsync(new Uri(root, "/slow"), ct);
        await release.CancelAsync();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        await AssertServedAsync(counters, 1);
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task A_listener_with_ip_rules_keeps_its_requests_on_the_full_pipeline(string protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b");
        var yaml = Config(backend.Url)
            .Replace("protocols: [h2c] }", "protocols: [h2c], ipRules: { deny: [127.0.0.0/8] } }")
            .Replace("protocols: [h2]\n", "protocols: [h2]\n    ipRules: { deny: [127.0.0.0/8] }\n");
        await using var proxy = await TestProxy.StartAsync(yaml, fastPath: true);
        using var counters = Counters(proxy);
        using var client = Client(proxy, protocol, out var root);

        using var response = await client.GetAsync(new Uri(root, "/"), ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(backend.Requests);
        Assert.Equal(0, counters.Value("portico.fastpath.requests"));
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    public async Task Header_rules_and_a_rate_limit_apply_once_to_each_request_of_a_connection(string protocol)
    {
        // The fast path keeps one request state per stream of a connection and reuses it: the
        // stages' additions must start afresh for each request, not pile up.
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b");
        var routes = """
            ruled:
                match: { pathPrefix: /ruled }
                cluster: app
                rateLimit: { limit: 100000, window: 1m }
                headers:
                  request: { set: { X-Level: route }, append: { X-Tags: two } }
                  response: { set: { X-Frame-Options: SAMEORIGIN }, append: { X-Extra: one } }
            """;
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, routes), fastPath: true);
        using var counters = Counters(proxy);
        using var client = Client(proxy, protocol, out var root);

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync(new Uri(root, $"/ruled/{i}"), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Equal("SAMEORIGIN", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
            Assert.Equal("one", Assert.Single(response.Headers.GetValues("X-Extra")));
            Assert.Single(response.Headers.GetValues("RateLimit-Policy"));
        }

        Assert.All(backend.Requests, r =>
        {
            Assert.Equal("route", r.Headers["X-Level"]);
            Assert.Equal("two", r.Headers["X-Tags"]);
        });
        Assert.Equal(3, backend.Requests.Count);
        await AssertServedAsync(counters, 3);
    }
}
