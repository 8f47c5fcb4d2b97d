using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Pages;

/// <summary>
/// Custom pages (`errorPages`) for the answers Portico gives itself, against real backends: a file,
/// inline text and templates, the top-level pages and a route's own; the fast path's own 502 and
/// 504 the same bytes as the full path's; files read at load, refused when missing, and a bad
/// reload leaving the last good page serving.
/// </summary>
public sealed class ErrorPagesTests : IAsyncLifetime
{
    private readonly string _pages = Directory.CreateTempSubdirectory("portico-pages-").FullName;
    private TestBackend _backend = null!;
    private TcpListener _broken = null!;
    private CancellationTokenSource _stop = new();

    private string NotFoundFile => Path.Combine(_pages, "404.html");

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(NotFoundFile, "<h1>Nothing here</h1>\n");
        _backend = await TestBackend.StartAsync("app", async ctx =>
        {
            if (ctx.Request.Path.StartsWithSegments("/slow"))
            {
                await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted);
            }

            await ctx.Response.WriteAsync("ok");
        });

        // A backend that answers every request with bytes that are no HTTP response head: a 502 on both paths.
        _broken = new TcpListener(IPAddress.Loopback, 0);
        _broken.Start();
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                using var socket = await _broken.AcceptSocketAsync(_stop.Token);
                var buffer = new byte[4096];
                var seen = "";
                while (!seen.Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await socket.ReceiveAsync(buffer, _stop.Token);
                    if (n == 0)
                    {
                        break;
                    }

                    seen += Encoding.ASCII.GetString(buffer, 0, n);
                }

                await socket.SendAsync("NOT HTTP AT ALL\r\n\r\n"u8.ToArray(), _stop.Token);
                socket.Shutdown(SocketShutdown.Both);
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _broken.Stop();
        _stop.Dispose();
        await _backend.DisposeAsync();
        Directory.Delete(_pages, recursive: true);
    }

    private string Config(string notFoundFile) => $$$"""
        errorPages:
          404: { file: "{{{notFoundFile}}}" }
          403: { body: "<h1>Refused</h1>" }
          405: { body: "method {status} {reason}", template: true, contentType: text/plain }
          413: { body: "too big", contentType: text/plain }
          414: { body: "too long", contentType: text/plain }
          431: { body: "headers too big", contentType: text/plain }
          503: { body: "<h1>{status} {reason}</h1>", template: true }
          429: { body: '{{"error":"slow","status":{status},"id":"{request_id}"}}', template: true, contentType: application/json }
          502: { body: "{status} {reason} route={route} client={client_ip} id={request_id}", template: true, contentType: text/plain; charset=utf-8 }
          504: { body: "<p>{status} {reason} for {request_id} on {route}</p>", template: true }
        limits: { methods: [GET, HEAD, POST] }
        routes:
          denied: { match: { pathPrefix: /denied }, cluster: app, ipRules: { deny: [127.0.0.1] } }
          own:
            match: { pathPrefix: /own }
            cluster: app
            ipRules: { deny: [127.0.0.1] }
            errorPages:
              403: { body: "route {route} refuses {client_ip}", template: true, contentType: text/plain }
          limited: { match: { pathPrefix: /limited }, cluster: app, rateLimit: { limit: 1, window: 1h } }
          short: { match: { pathPrefix: /short }, cluster: app, limits: { maxUrlLength: 20 } }
          small: { match: { pathPrefix: /small }, cluster: app, limits: { maxBodySize: 10, maxHeadersSize: 400 } }
          drained: { match: { pathPrefix: /drained }, cluster: spare }
          broken: { match: { pathPrefix: /broken }, cluster: broken }
          slow: { match: { pathPrefix: /slow }, cluster: app, timeout: 300ms }
        clusters:
          app: { destinations: [{{{_backend.Url}}}] }
          broken: { destinations: ["http://127.0.0.1:{{{((IPEndPoint)_broken.LocalEndpoint).Port}}}"] }
          spare: { destinations: [{{{_backend.Url}}}] }
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Each_status_Portico_answers_itself_gets_its_custom_page(bool fastPath)
    {
        await using var proxy = await TestProxy.StartAsync(Config(NotFoundFile), fastPath);

        var notFound = await PageExchange.SendAsync(proxy, "/nowhere");
        Assert.Equal((404, "<h1>Nothing here</h1>\n", "text/html; charset=utf-8"), (notFound.Status, notFound.Body, notFound.Field("Content-Type")));
        Assert.Equal("no-store", notFound.Field("Cache-Control"));
        Assert.Equal("rid-1", notFound.Field("X-Request-Id"));

        var refused = await PageExchange.SendAsync(proxy, "/denied");
        Assert.Equal((403, "<h1>Refused</h1>"), (refused.Status, refused.Body));

        var method = await PageExchange.SendAsync(proxy, "/slow", method: "DELETE");
        Assert.Equal((405, "method 405 Method Not Allowed", "text/plain"), (method.Status, method.Body, method.Field("Content-Type")));

        var tooLong = await PageExchange.SendAsync(proxy, "/short/" + new string('a', 40));
        Assert.Equal((414, "too long"), (tooLong.Status, tooLong.Body));

        var tooBig = await PageExchange.SendAsync(proxy, "/small", method: "POST", body: new string('b', 20));
        Assert.Equal((413, "too big"), (tooBig.Status, tooBig.Body));

        var bigHeaders = await PageExchange.SendAsync(proxy, "/small", fields: "X-Big: " + new string('h', 500));
        Assert.Equal((431, "headers too big"), (bigHeaders.Status, bigHeaders.Body));

        // Every destination of the cluster out of service: 503.
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/clusters/spare/destinations/{_backend.Address.Authority}/drain", null, ct)).StatusCode);
        var unavailable = await PageExchange.SendAsync(proxy, "/drained");
        Assert.Equal((503, "<h1>503 Service Unavailable</h1>"), (unavailable.Status, unavailable.Body));

        Assert.Equal(200, (await PageExchange.SendAsync(proxy, "/limited")).Status);
        var limited = await PageExchange.SendAsync(proxy, "/limited", requestId: "a<b>'c");
        Assert.Equal(429, limited.Status);
        Assert.Equal("application/json", limited.Field("Content-Type"));
        // The client's id is escaped for the page's type: a JSON string here.
        Assert.Equal("""{"error":"slow","status":429,"id":"a\u003Cb\u003E\u0027c"}""", limited.Body);

        var broken = await PageExchange.SendAsync(proxy, "/broken");
        Assert.Equal((502, "502 Bad Gateway route=broken client=127.0.0.1 id=rid-1", "text/plain; charset=utf-8"), (broken.Status, broken.Body, broken.Field("Content-Type")));

        var slow = await PageExchange.SendAsync(proxy, "/slow", requestId: "<x>");
        Assert.Equal((504, "<p>504 Gateway Timeout for &lt;x&gt; on slow</p>"), (slow.Status, slow.Body));
    }

    [Fact]
    public async Task A_routes_own_page_wins_over_the_top_level_one_and_custom_pages_ignore_Accept()
    {
        await using var proxy = await TestProxy.StartAsync(Config(NotFoundFile));

        var own = await PageExchange.SendAsync(proxy, "/own", fields: "Accept: application/json");
        Assert.Equal((403, "route own refuses 127.0.0.1", "text/plain"), (own.Status, own.Body, own.Field("Content-Type")));

        // The operator chose the page's type: an API client gets it too. A status without a page keeps the built-in negotiation.
        var notFound = await PageExchange.SendAsync(proxy, "/nowhere", fields: "Accept: application/json");
        Assert.Equal("<h1>Nothing here</h1>\n", notFound.Body);
        await using var plain = await TestProxy.StartAsync($$"""
            routes:
              denied: { match: { pathPrefix: /denied }, cluster: app, ipRules: { deny: [127.0.0.1] } }
            clusters:
              app: { destinations: [{{_backend.Url}}] }
            """);
        var builtIn = await PageExchange.SendAsync(plain, "/denied", fields: "Accept: application/json");
        Assert.Equal("application/json; charset=utf-8", builtIn.Field("Content-Type"));
        Assert.StartsWith("""{"status":403""", builtIn.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_built_in_HTML_page_escapes_the_clients_request_id()
    {
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              denied: { match: { pathPrefix: /denied }, cluster: app, ipRules: { deny: [127.0.0.1] } }
            clusters:
              app: { destinations: [{{_backend.Url}}] }
            """);

        var page = await PageExchange.SendAsync(proxy, "/denied", requestId: "<script>alert(1)</script>");

        Assert.Equal("<script>alert(1)</script>", page.Field("X-Request-Id"));
        Assert.Contains("<p><small>request &lt;script&gt;alert(1)&lt;/script&gt;</small></p>", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_HEAD_request_gets_the_pages_length_and_no_body()
    {
        await using var proxy = await TestProxy.StartAsync(Config(NotFoundFile));

        var head = await PageExchange.SendAsync(proxy, "/nowhere", method: "HEAD");

        Assert.Equal((404, "", "22"), (head.Status, head.Body, head.Field("Content-Length")));
    }

    [Theory]
    [InlineData("/broken", 502)]
    [InlineData("/slow", 504)]
    public async Task The_fast_paths_own_answer_is_the_full_paths_byte_for_byte(string target, int status)
    {
        await using var fast = await TestProxy.StartAsync(Config(NotFoundFile), fastPath: true);
        await using var full = await TestProxy.StartAsync(Config(NotFoundFile), fastPath: false);
        using var counters = new ProxyCounters(fast, "portico.fastpath.");

        var fromFast = await PageExchange.SendAsync(fast, target);
        var fromFull = await PageExchange.SendAsync(full, target);

        Assert.Equal(status, fromFast.Status);
        Assert.Equal(fromFull.Body, fromFast.Body);
        Assert.Equal(fromFull.Fields.OrderBy(f => f.Key), fromFast.Fields.OrderBy(f => f.Key));
        // And the fast path did answer it (a route with only errorPages stays there).
        await Poll.UntilAsync(() => counters.Value("portico.fastpath.requests") == 1, "the fast path to count its answer");
    }

    [Fact]
    public async Task A_missing_page_file_is_refused_with_its_line_and_the_last_good_page_keeps_serving()
    {
        await using var proxy = await TestProxy.StartAsync(Config(NotFoundFile));
        var missing = Path.Combine(_pages, "gone.html");

        var outcome = await proxy.RewriteConfigAsync(Config(missing));

        Assert.False(outcome.Applied);
        var error = Assert.Single(outcome.Errors);
        Assert.Matches(@"portico\.yaml:\d+: errorPages\.404\.file: '.*gone\.html' does not exist$", error);
        Assert.Equal("<h1>Nothing here</h1>\n", (await PageExchange.SendAsync(proxy, "/nowhere")).Body);

        // The file is read again with the config: once it exists, a reload (the same config text, so asked for) serves it.
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(missing, "<h1>Moved</h1>", ct);
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/reload", null, ct)).StatusCode);
        Assert.Equal("<h1>Moved</h1>", (await PageExchange.SendAsync(proxy, "/nowhere")).Body);

        // And an edited page is served after the next reload.
        await File.WriteAllTextAsync(missing, "<h1>Moved again</h1>", ct);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/reload", null, ct)).StatusCode);
        Assert.Equal("<h1>Moved again</h1>", (await PageExchange.SendAsync(proxy, "/nowhere")).Body);
    }
}
