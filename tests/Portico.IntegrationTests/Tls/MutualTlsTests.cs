using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Tls;

public sealed class MutualTlsTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();
    private readonly TestPki _clients = TestPki.Create("Client CA");
    private readonly TestPki _stranger = TestPki.Create("Stranger CA");

    public void Dispose()
    {
        _pki.Dispose();
        _clients.Dispose();
        _stranger.Dispose();
    }

    private string Config(string backendUrl, string mode) => $$"""
        listeners:
          secure:
            address: 127.0.0.1:0
            tls:
              certificates: [{ cert: {{_pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app").Cert}}, key: {{Path.Combine(_pki.Folder, "app.key.pem")}} }]
              clientCertificate: { mode: {{mode}}, ca: {{_clients.WriteRoot()}} }
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backendUrl}}] }
        """;

    /// <summary>A refused handshake fails outright (TLS 1.2) or, in TLS 1.3, is closed before any answer.</summary>
    private static async Task<bool> RefusedAsync(Func<Task<Handshake>> handshake)
    {
        try
        {
            return !(await handshake()).Answered;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            return true;
        }
    }

    private static int HttpsPort(TestProxy proxy) => proxy.Addresses.Single(a => a.Scheme == "https").Port;

    [Fact]
    public async Task Required_mode_accepts_a_certificate_from_the_trusted_ca_and_passes_its_subject_and_fingerprint()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, "required"));
        var port = HttpsPort(proxy);
        var alice = _clients.Issue("alice", [], client: true);
        using var client = TlsClient.Http(port, _pki.Root, alice);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://app.test:{port}/");
        request.Headers.Add("X-Client-Cert-Subject", "CN=mallory");
        request.Headers.Add("X-Client-Cert-Fingerprint", "00");

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = backend.Requests.Single().Headers;
        Assert.Equal("CN=alice, O=Portico Tests", seen["X-Client-Cert-Subject"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(alice.RawData)), seen["X-Client-Cert-Fingerprint"]);
    }

    [Fact]
    public async Task Required_mode_refuses_no_certificate_and_one_from_another_ca()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, "required"));
        var port = HttpsPort(proxy);

        Assert.True(await RefusedAsync(() => TlsClient.HandshakeAsync(port, "app.test", SslProtocols.Tls13)));
        Assert.True(await RefusedAsync(() => TlsClient.HandshakeAsync(port, "app.test", SslProtocols.Tls12, _stranger.Issue("eve", [], client: true))));
        // A certificate from the right CA that is not meant for client authentication is refused too.
        Assert.True(await RefusedAsync(() => TlsClient.HandshakeAsync(port, "app.test", SslProtocols.Tls12, _clients.Issue("server", ["x.test"]))));
        Assert.True((await TlsClient.HandshakeAsync(port, "app.test", SslProtocols.Tls12, _clients.Issue("bob", [], client: true))).Answered);
        Assert.Equal("CN=bob, O=Portico Tests", Assert.Single(backend.Requests).Headers["X-Client-Cert-Subject"]);
    }

    [Fact]
    public async Task Optional_mode_lets_clients_without_a_certificate_in_and_strips_their_forged_headers()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, "optional"));
        var port = HttpsPort(proxy);
        using var client = TlsClient.Http(port, _pki.Root);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://app.test:{port}/");
        request.Headers.Add("X-Client-Cert-Subject", "CN=admin");
        request.Headers.Add("X-Client-Cert-Fingerprint", "abc");

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = backend.Requests.Single().Headers;
        Assert.False(seen.ContainsKey("X-Client-Cert-Subject"));
        Assert.False(seen.ContainsKey("X-Client-Cert-Fingerprint"));
        Assert.True(await RefusedAsync(() => TlsClient.HandshakeAsync(port, "app.test", SslProtocols.Tls12, _stranger.Issue("eve", [], client: true))));
    }
}
