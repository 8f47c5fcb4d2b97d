using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Tls;

public sealed class HttpsRedirectTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    /// <summary>The redirect names the HTTPS port, so it is chosen before the proxy binds it.</summary>
    private Task<(TestProxy Proxy, int HttpsPort)> StartAsync(string backendUrl)
        => FreePorts.RetryAsync(async () =>
        {
            var httpsPort = FreePorts.Take();
            return (await TestProxy.StartAsync(Config(backendUrl, httpsPort, "180d")), httpsPort);
        });

    private string Config(string backendUrl, int httpsPort, string maxAge)
    {
        var pem = _pki.WritePem(_pki.Issue("app.test", ["app.test", "*.app.test", "other.test"]), "app");
        return $$"""
            listeners:
              plain:
                address: 127.0.0.1:0
                redirectToHttps: {{httpsPort}}
              secure:
                address: 127.0.0.1:{{httpsPort}}
                tls:
                  certificates: [{ cert: {{pem.Cert}}, key: {{pem.Key}} }]
                  hsts:
                    - { hosts: [app.test, "*.app.test"], maxAge: {{maxAge}}, includeSubDomains: true }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backendUrl}}] }
            """;
    }

    [Fact]
    public async Task Plain_requests_are_redirected_keeping_path_and_query_301_for_get_and_head_308_otherwise()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var (proxy, httpsPort) = await StartAsync(backend.Url);
        await using var _ = proxy;
        var plain = proxy.Addresses.Single(a => a.Scheme == "http");

        foreach (var (method, status) in new[] { ("GET", HttpStatusCode.MovedPermanently), ("HEAD", HttpStatusCode.MovedPermanently), ("POST", HttpStatusCode.PermanentRedirect), ("DELETE", HttpStatusCode.PermanentRedirect) })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(plain, "/a/b%20c?x=1&y=2"));
            request.Headers.Host = "app.test";
            if (method == "POST")
            {
                request.Content = new StringContent("body");
            }

            using var response = await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

            Assert.Equal(status, response.StatusCode);
            Assert.Equal($"https://app.test:{httpsPort}/a/b%20c?x=1&y=2", response.Headers.Location!.OriginalString);
            Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        }

        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task Hsts_is_sent_over_https_only_for_the_configured_hosts()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var (proxy, httpsPort) = await StartAsync(backend.Url);
        await using var _ = proxy;
        using var client = TlsClient.Http(httpsPort, _pki.Root);

        using var listed = await client.GetAsync($"https://www.app.test:{httpsPort}/", TestContext.Current.CancellationToken);
        using var unlisted = await client.GetAsync($"https://other.test:{httpsPort}/", TestContext.Current.CancellationToken);

        Assert.Equal("max-age=15552000; includeSubDomains", listed.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.False(unlisted.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal(2, backend.Count);
    }

    [Fact]
    public async Task Hsts_changes_apply_on_reload_while_certificate_changes_wait_for_a_restart()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var (proxy, httpsPort) = await StartAsync(backend.Url);
        await using var _ = proxy;
        using var client = TlsClient.Http(httpsPort, _pki.Root);

        var outcome = await proxy.RewriteConfigAsync(Config(backend.Url, httpsPort, "1d"));

        Assert.True(outcome.Applied);
        using var response = await client.GetAsync($"https://app.test:{httpsPort}/", TestContext.Current.CancellationToken);
        Assert.Equal("max-age=86400; includeSubDomains", response.Headers.GetValues("Strict-Transport-Security").Single());
        // A new certificate file in the config is a listener change: applied on restart, and said so.
        var other = _pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app2");
        var moved = Config(backend.Url, httpsPort, "1d")
            .Replace(Path.Combine(_pki.Folder, "app.pem"), other.Cert, StringComparison.Ordinal)
            .Replace(Path.Combine(_pki.Folder, "app.key.pem"), other.Key, StringComparison.Ordinal);
        Assert.True((await proxy.RewriteConfigAsync(moved)).Applied);
        Assert.Single(proxy.Logs.Messages(104));
    }
}
