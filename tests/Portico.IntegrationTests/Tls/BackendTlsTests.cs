using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Tls;

public sealed class BackendTlsTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create("Backend CA");

    public void Dispose() => _pki.Dispose();

    /// <summary>An HTTPS backend whose certificate (for "localhost" and 127.0.0.1) comes from the test CA; it echoes the client certificate's subject.</summary>
    private Task<TestBackend> HttpsBackendAsync(bool requireClientCertificate = false, HttpProtocols protocols = HttpProtocols.Http1)
    {
        var cert = _pki.Issue("backend", ["localhost"]);
        return TestBackend.StartAsync("tls-backend", ctx => ctx.Response.WriteAsync("secure " + (ctx.Connection.ClientCertificate?.Subject ?? "anonymous")), protocols, listen: o => o.UseHttps(https =>
        {
            https.ServerCertificate = cert;
            if (requireClientCertificate)
            {
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (c, _, _) => c.Issuer == _pki.Root.Subject;
            }
        }));
    }

    private static string Config(string url, string tls) => $$"""
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app:
            destinations: [{{url}}]
        {{tls}}
        """;

    [Fact]
    public async Task An_https_backend_is_verified_against_the_configured_ca_bundle()
    {
        await using var backend = await HttpsBackendAsync();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"    tls: {{ ca: {_pki.WriteRoot()} }}"));

        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("secure anonymous", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Http2_to_an_https_backend_is_negotiated_by_alpn()
    {
        await using var backend = await HttpsBackendAsync(protocols: HttpProtocols.Http1AndHttp2);
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"    http: {{ version: \"2\" }}\n    tls: {{ ca: {_pki.WriteRoot()} }}"));

        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("HTTP/2", backend.Requests.Single().Protocol);
    }

    [Fact]
    public async Task An_untrusted_backend_certificate_is_refused_with_a_502()
    {
        using var other = TestPki.Create("Other CA");
        await using var backend = await HttpsBackendAsync();
        await using var withSystemStore = await TestProxy.StartAsync(Config(backend.Url, ""));
        await using var withOtherCa = await TestProxy.StartAsync(Config(backend.Url, $"    tls: {{ ca: {other.WriteRoot()} }}"));

        Assert.Equal(HttpStatusCode.BadGateway, (await withSystemStore.Client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, (await withOtherCa.Client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Contains(withOtherCa.Logs.Messages(4007), m => m.StartsWith("cluster 'app': a backend certificate failed verification", StringComparison.Ordinal));
        Assert.Equal(0, backend.Count);
    }

    [Fact]
    public async Task Insecure_skip_verify_accepts_any_certificate_and_says_so_loudly()
    {
        await using var backend = await HttpsBackendAsync();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, "    tls: { insecureSkipVerify: true }"));

        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("cluster 'app': insecureSkipVerify is on, backend certificates are NOT verified; use only in test setups", proxy.Logs.Messages(4005).First());
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, proxy.Logs.Lines.First(l => l.EventId == 4005).Level);
    }

    [Fact]
    public async Task A_client_certificate_is_presented_to_a_backend_that_requires_one()
    {
        await using var backend = await HttpsBackendAsync(requireClientCertificate: true);
        var client = _pki.WritePem(_pki.Issue("portico-client", [], client: true), "client");
        await using var without = await TestProxy.StartAsync(Config(backend.Url, $"    tls: {{ ca: {_pki.WriteRoot()} }}"));
        await using var with = await TestProxy.StartAsync(Config(backend.Url, $"    tls: {{ ca: {_pki.WriteRoot()}, clientCertificate: {{ cert: {client.Cert}, key: {client.Key} }} }}"));

        var response = await with.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal("secure CN=portico-client, O=Portico Tests", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.BadGateway, (await without.Client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
    }
}
