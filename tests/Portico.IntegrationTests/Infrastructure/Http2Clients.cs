using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>A proxy's two HTTP/2 listeners (h2c, and h2 over TLS for app.test) and HTTP/2-only clients of them.</summary>
internal static class Http2Clients
{
    /// <summary>The `listeners` section: `h2c` with prior knowledge, and `secure`, h2 only, with a certificate for app.test that <paramref name="pki"/> issues.</summary>
    public static string Listeners(TestPki pki) => $$"""
        listeners:
          h2c: { address: "127.0.0.1:0", protocols: [h2c] }
          secure:
            address: 127.0.0.1:0
            protocols: [h2]
            tls:
              certificates: [{ cert: {{pki.WritePem(pki.Issue("app.test", ["app.test"]), "app").Cert}}, key: {{Path.Combine(pki.Folder, "app.key.pem")}} }]
        """;

    /// <summary>
    /// A client of the listener <paramref name="protocol"/> names: prior knowledge on h2c, ALPN h2
    /// over TLS (trusting <paramref name="root"/>, connecting to 127.0.0.1 as app.test); one
    /// connection for all its requests, as HttpClient keeps for HTTP/2.
    /// </summary>
    public static HttpClient Create(TestProxy proxy, string protocol, X509Certificate2 root, out Uri address)
    {
        var tls = protocol == "h2";
        var listener = proxy.Addresses.Single(a => a.Scheme == (tls ? "https" : "http"));
        address = new Uri(tls ? $"https://app.test:{listener.Port}" : $"http://127.0.0.1:{listener.Port}");
        var client = tls ? TlsClient.Http(listener.Port, root) : new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestVersion = HttpVersion.Version20;
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        return client;
    }
}
