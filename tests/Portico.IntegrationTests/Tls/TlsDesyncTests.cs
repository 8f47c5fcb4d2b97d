using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.Security.Desync;

namespace Portico.IntegrationTests.Tls;

/// <summary>
/// The HTTP/1 framing check reads the decrypted bytes on a TLS listener: every hostile input of
/// <see cref="DesyncTests.Http1Hostile"/>, sent over TLS with ALPN http/1.1 to a listener that
/// also offers h2, is refused with 400 and the connection closed; nothing reaches the backend.
/// </summary>
public sealed class TlsDesyncTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task Hostile_http1_over_tls_is_refused_before_the_backend_and_h2_still_works()
    {
        var pem = _pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app");
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              secure:
                address: 127.0.0.1:0
                tls:
                  certificates: [{ cert: {{pem.Cert}}, key: {{pem.Key}} }]
            limits: { underscoreHeaders: reject }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var port = proxy.Addresses.Single(a => a.Scheme == "https").Port;

        var failures = new List<string>();
        foreach (var (name, request) in DesyncTests.Http1Hostile)
        {
            var (status, closed) = await SendOverTlsAsync(port, request);
            if (status != 400 || !closed)
            {
                failures.Add($"{name}: status {status}, closed {closed}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(0, backend.Count);

        // An ordinary HTTP/1.1 request over TLS passes the same check, and h2 bypasses it.
        Assert.Equal((200, true), await SendOverTlsAsync(port, "GET /fine HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n"));
        using var h2 = TlsClient.Http(port, _pki.Root);
        using var response = await h2.SendAsync(new HttpRequestMessage(HttpMethod.Get, "https://app.test/h2") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, backend.Count);
    }

    private static async Task<(int Status, bool Closed)> SendOverTlsAsync(int port, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "app.test",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        }).WaitAsync(TimeSpan.FromSeconds(30));
        await ssl.WriteAsync(Encoding.Latin1.GetBytes(request));
        var response = await RawHttp.ReadToCloseAsync(ssl, waitSeconds: 15);
        return (response.Status, response.Closed);
    }
}
