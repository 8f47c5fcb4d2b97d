using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// Two proxies from one config, one with the fast path and one without, each in front of its own
/// <see cref="RawBackend"/>, so a test can send the same bytes through both paths and compare
/// what the client and the backend saw. Each has a plain listener and a TLS one (h2 and http/1.1
/// offered, a certificate for localhost from <see cref="Pki"/>). A fixture for other routes or
/// scripted backend answers derives from this one.
/// </summary>
public class BothPathsFixture : IAsyncLifetime
{
    internal TestPki Pki { get; } = TestPki.Create();

    internal Side Fast { get; private set; } = null!;

    internal Side Full { get; private set; } = null!;

    /// <summary>The entries under `routes:` (YAML, one route a line), each forwarding to the cluster `app`.</summary>
    protected virtual string Routes => "all: { match: { pathPrefix: / }, cluster: app }";

    /// <summary>More entries under `clusters:` (YAML, indented as under it); `{{backend}}` stands for the side's backend's URL.</summary>
    protected virtual string ExtraClusters => "";

    /// <summary>How each backend answers a request head (see <see cref="RawBackend.Start"/>); null for its fixed answer.</summary>
    protected virtual Func<string, byte[]>? Script => null;

    public async ValueTask InitializeAsync()
    {
        var pem = Pki.WritePem(Pki.Issue("localhost", ["localhost"]), "localhost");
        Fast = await Side.StartAsync(fastPath: true, pem, Routes, Script, ExtraClusters);
        Full = await Side.StartAsync(fastPath: false, pem, Routes, Script, ExtraClusters);
    }

    public async ValueTask DisposeAsync()
    {
        await Fast.DisposeAsync();
        await Full.DisposeAsync();
        Pki.Dispose();
    }

    /// <summary>A new connection to <paramref name="side"/>'s plain listener, or its TLS one (ALPN http/1.1); disposing the stream closes it.</summary>
    internal async Task<Stream> OpenAsync(Side side, bool tls, CancellationToken cancellation)
    {
        var address = tls ? side.Tls : side.Plain;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, address.Port, cancellation);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        if (!tls)
        {
            return stream;
        }

        var secure = new SslStream(stream);
        await secure.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.Issuer == Pki.Root.Subject,
        }, cancellation);
        return secure;
    }

    internal sealed class Side : IAsyncDisposable
    {
        private Side(TestProxy proxy, RawBackend backend)
        {
            Proxy = proxy;
            Backend = backend;
            Counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.compression.", "portico.active.requests");
        }

        public TestProxy Proxy { get; }

        public RawBackend Backend { get; }

        public ProxyCounters Counters { get; }

        public Uri Plain => Proxy.Addresses.Single(a => a.Scheme == "http");

        public Uri Tls => Proxy.Addresses.Single(a => a.Scheme == "https");

        public static async Task<Side> StartAsync(bool fastPath, (string Cert, string Key) pem, string routes, Func<string, byte[]>? script, string extraClusters = "")
        {
            var backend = RawBackend.Start(script);
            var extra = extraClusters.Replace("{{backend}}", backend.Url, StringComparison.Ordinal).ReplaceLineEndings("\n  ");
            var proxy = await TestProxy.StartAsync($$"""
                listeners:
                  main: { address: 127.0.0.1:0 }
                  secure:
                    address: 127.0.0.1:0
                    tls: { certificates: [{ cert: {{pem.Cert}}, key: {{pem.Key}} }] }
                routes:
                  {{routes.ReplaceLineEndings("\n  ")}}
                clusters:
                  app:
                    destinations: [{{backend.Url}}]
                  {{extra}}
                """, fastPath);
            return new Side(proxy, backend);
        }

        public async ValueTask DisposeAsync()
        {
            Counters.Dispose();
            await Proxy.DisposeAsync();
            await Backend.DisposeAsync();
        }
    }
}
