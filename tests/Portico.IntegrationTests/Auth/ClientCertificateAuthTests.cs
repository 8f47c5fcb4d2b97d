using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>A client certificate from the listener's mutual TLS as a scheme of its own, and its subject as a condition beside another scheme.</summary>
public sealed class ClientCertificateAuthTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();
    private readonly TestPki _clients = TestPki.Create("Client CA");

    public void Dispose()
    {
        _pki.Dispose();
        _clients.Dispose();
    }

    [Fact]
    public async Task The_certificate_subject_authenticates_and_the_allow_rules_choose_among_subjects()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              secure:
                address: 127.0.0.1:0
                tls:
                  certificates: [{ cert: {{_pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app").Cert}}, key: {{Path.Combine(_pki.Folder, "app.key.pem")}} }]
                  clientCertificate: { mode: optional, ca: {{_clients.WriteRoot()}} }
            routes:
              certs:
                match: { pathPrefix: /certs }
                cluster: app
                auth: { clientCertificate: true, allow: [{ users: ["CN=alice, O=Portico Tests"] }] }
              both:
                match: { pathPrefix: /both }
                cluster: app
                auth:
                  apiKey: { keys: [{ name: deploy, sha256: {{AuthFiles.Sha256("k")}} }] }
                  allow: [{ apiKeys: [deploy], clientCertSubjects: ["CN=alice, O=Portico Tests"] }]
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var port = proxy.Addresses.Single(a => a.Scheme == "https").Port;
        using var alice = TlsClient.Http(port, _pki.Root, _clients.Issue("alice", [], client: true));
        using var bob = TlsClient.Http(port, _pki.Root, _clients.Issue("bob", [], client: true));
        using var anonymous = TlsClient.Http(port, _pki.Root);
        async Task<HttpStatusCode> Get(HttpClient client, string path, string? key = null)
            => (await AuthFiles.GetWithKeyAsync(client, $"https://app.test:{port}{path}", key)).StatusCode;

        Assert.Equal(HttpStatusCode.OK, await Get(alice, "/certs"));
        Assert.Equal(HttpStatusCode.Forbidden, await Get(bob, "/certs"));
        Assert.Equal(HttpStatusCode.Forbidden, await Get(anonymous, "/certs"));
        Assert.Equal(HttpStatusCode.OK, await Get(alice, "/both", "k"));
        Assert.Equal(HttpStatusCode.Forbidden, await Get(bob, "/both", "k"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get(alice, "/both"));

        Assert.Equal(["CN=alice, O=Portico Tests", "deploy"], backend.Requests.Select(r => r.Headers["X-Auth-User"]));
        Assert.Equal(["clientCertificate", "apiKey"], backend.Requests.Select(r => r.Headers["X-Auth-Scheme"]));
    }
}
