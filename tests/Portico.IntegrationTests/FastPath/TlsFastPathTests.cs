using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// The fast path on TLS listeners: it reads the bytes Kestrel's TLS decrypted and gives a request
/// what the full path gives it there (https in the forwarded fields, the cache key and the
/// mapped-back Location), and what the TLS stage adds (HSTS, a client certificate passed on) as
/// the full path adds it, each case run on both paths. Each test reads the fast path's own
/// counter, so it fails if the path it is about did not serve the requests. BothPathsTests runs
/// its whole corpus over TLS too.
/// </summary>
public sealed class TlsFastPathTests : IDisposable
{
    // One authority issues the server's certificate and the client's.
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    private string Config(string backendUrl, string tls = "", string routes = "", string plain = "") => $$"""
        listeners:
          plain:
            address: 127.0.0.1:0
            {{plain}}
          secure:
            address: 127.0.0.1:0
            tls:
              certificates: [{ cert: {{_pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app").Cert}}, key: {{Path.Combine(_pki.Folder, "app.key.pem")}} }]
              {{tls}}
        routes:
          {{routes}}
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backendUrl}}] }
        """;

    private static int HttpsPort(TestProxy proxy) => proxy.Addresses.Single(a => a.Scheme == "https").Port;

    /// <summary>One GET on a new TLS connection (ALPN http/1.1), so each request starts where the fast path may take it.</summary>
    private async Task<HttpResponseMessage> GetAsync(TestProxy proxy, string path, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate = null)
    {
        var port = HttpsPort(proxy);
        using var client = TlsClient.Http(port, _pki.Root, clientCertificate);
        var response = await client.GetAsync($"https://app.test:{port}{path}", TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }

    private static Task AssertServedAsync(ProxyCounters counters, long expected) => counters.AssertFastPathServedAsync(expected);

    [Fact]
    public async Task A_get_over_tls_takes_the_fast_path_and_the_backend_is_told_https()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync($"{ctx.Request.Path}"));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: true);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");
        var port = HttpsPort(proxy);
        using var client = TlsClient.Http(port, _pki.Root);

        // Three on one kept-alive TLS connection.
        foreach (var path in new[] { "/a", "/b", "/c" })
        {
            using var response = await client.GetAsync($"https://app.test:{port}{path}", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(path, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        await AssertServedAsync(counters, 3);
        var seen = backend.Requests.Last().Headers;
        Assert.Equal("https", seen["X-Forwarded-Proto"]);
        Assert.Equal($"app.test:{port}", seen["X-Forwarded-Host"]);
        Assert.Equal($"for=127.0.0.1;proto=https;host=\"app.test:{port}\"", seen["Forwarded"]);
    }

    [Fact]
    public async Task A_fresh_hit_over_tls_is_answered_on_the_fast_path_from_the_https_entry_only()
    {
        var calls = 0;
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            return ctx.Response.WriteAsync($"{ctx.Request.Scheme}-{ctx.Request.Headers["X-Forwarded-Proto"]}-{Interlocked.Increment(ref calls)}");
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, routes: "cached: { match: { pathPrefix: /cached }, cluster: app, cache: {} }"), fastPath: true);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        // The miss, forwarded by the fast path too, stores the response under the https URL.
        Assert.Equal("http-https-1", await (await GetAsync(proxy, "/cached/x")).Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var hit = await GetAsync(proxy, "/cached/x");

        Assert.Equal("http-https-1", await hit.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith("Portico; hit", Assert.Single(hit.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        await AssertServedAsync(counters, 2);

        // The plain listener's URL is another one (RFC 9111 §2: the key is the target URI): its
        // first request misses and is stored on its own.
        var plain = proxy.Addresses.Single(a => a.Scheme == "http");
        using var plainClient = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(plain, "/cached/x"));
        request.Headers.Host = $"app.test:{HttpsPort(proxy)}";
        Assert.Equal("http-http-2", await (await plainClient.SendAsync(request, TestContext.Current.CancellationToken)).Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_prefix_rewrite_over_tls_maps_the_location_back_to_the_https_url()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = $"http://{ctx.Request.Host}/v2/next";
            return Task.CompletedTask;
        });
        await using var proxy = await TestProxy.StartAsync(
            Config(backend.Url, routes: "api: { match: { pathPrefix: /api }, cluster: app, rewrite: { pathPrefix: /v2 } }"), fastPath: true);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        using var response = await GetAsync(proxy, "/api/x");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"https://app.test:{HttpsPort(proxy)}/api/next", response.Headers.Location!.ToString());
        Assert.Equal("/v2/x", backend.Requests.Single().PathAndQuery);
        await AssertServedAsync(counters, 1);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Hsts_is_added_for_the_requests_host_to_forwarded_answers_and_cache_hits_on_both_paths(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            // A backend's own field is replaced by the listener's (the TLS stage sets it).
            ctx.Response.Headers.StrictTransportSecurity = "max-age=5";
            ctx.Response.Headers.CacheControl = "max-age=60";
            return ctx.Response.WriteAsync("ok");
        });
        await using var proxy = await TestProxy.StartAsync(
            Config(backend.Url, "hsts: [{ hosts: [other.test], maxAge: 2d }, { hosts: [app.test], maxAge: 1d, includeSubDomains: true }]",
                routes: "cached: { match: { pathPrefix: /cached }, cluster: app, cache: {} }"),
            fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        using var forwarded = await GetAsync(proxy, "/");
        using var miss = await GetAsync(proxy, "/cached/x");
        using var hit = await GetAsync(proxy, "/cached/x");

        foreach (var response in new[] { forwarded, miss, hit })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("max-age=86400; includeSubDomains", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
        }

        Assert.StartsWith("Portico; hit", Assert.Single(hit.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        await AssertServedAsync(counters, fastPath ? 3 : 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Hsts_for_another_host_only_leaves_the_backends_field_alone_on_both_paths(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.Headers.StrictTransportSecurity = "max-age=5";
            return ctx.Response.WriteAsync("ok");
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, "hsts: [{ hosts: [other.test], maxAge: 2d }]"), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        using var response = await GetAsync(proxy, "/");

        Assert.Equal("max-age=5", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
        await AssertServedAsync(counters, fastPath ? 1 : 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_certificate_is_passed_on_in_its_fields_on_both_paths(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"clientCertificate: {{ mode: optional, ca: {_pki.WriteRoot()} }}"), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");
        var alice = _pki.Issue("alice", [], client: true);

        using var withCertificate = await GetAsync(proxy, "/", alice);
        using var without = await GetAsync(proxy, "/");

        Assert.Equal(HttpStatusCode.OK, withCertificate.StatusCode);
        Assert.Equal(HttpStatusCode.OK, without.StatusCode);
        var seen = backend.Requests.ToArray();
        Assert.Equal("CN=alice, O=Portico Tests", seen[0].Headers["X-Client-Cert-Subject"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(alice.RawData)), seen[0].Headers["X-Client-Cert-Fingerprint"]);
        Assert.False(seen[1].Headers.ContainsKey("X-Client-Cert-Subject"));
        Assert.False(seen[1].Headers.ContainsKey("X-Client-Cert-Fingerprint"));
        await AssertServedAsync(counters, fastPath ? 2 : 0);
    }

    [Fact]
    public async Task A_reload_that_gives_a_listener_ip_rules_or_hsts_applies_to_its_next_connection()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: true);
        var plain = proxy.Addresses.Single(a => a.Scheme == "http");
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(plain, "/"), TestContext.Current.CancellationToken)).StatusCode);
        Assert.False((await GetAsync(proxy, "/")).Headers.Contains("Strict-Transport-Security"));

        // Listener ipRules and HSTS apply without a restart on the full path (they are read per
        // request); the fast path must not keep serving the listener as it was at start.
        var reloaded = Config(backend.Url, "hsts: [{ maxAge: 1d }]", plain: "ipRules: { deny: [127.0.0.1] }")
            .Replace("address: 127.0.0.1:0\n    ipRules", $"address: 127.0.0.1:{plain.Port}\n    ipRules", StringComparison.Ordinal)
            .Replace("address: 127.0.0.1:0\n    tls", $"address: 127.0.0.1:{HttpsPort(proxy)}\n    tls", StringComparison.Ordinal);
        Assert.True((await proxy.RewriteConfigAsync(reloaded)).Applied);

        using var fresh = new HttpClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await fresh.GetAsync(new Uri(plain, "/"), TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal("max-age=86400", Assert.Single((await GetAsync(proxy, "/")).Headers.GetValues("Strict-Transport-Security")));
    }
}
