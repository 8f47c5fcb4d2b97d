using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// Two proxies from one config, one with the fast path and one without, each in front of its own
/// <see cref="RawBackend"/>, so a test can send the same bytes through both paths and compare
/// what the client and the backend saw. Each has a plain listener and a TLS one (h2 and http/1.1
/// offered, a certificate for localhost from <see cref="Pki"/>).
/// </summary>
public sealed class BothPathsFixture : IAsyncLifetime
{
    internal TestPki Pki { get; } = TestPki.Create();

    internal Side Fast { get; private set; } = null!;

    internal Side Full { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var pem = Pki.WritePem(Pki.Issue("localhost", ["localhost"]), "localhost");
        Fast = await Side.StartAsync(fastPath: true, pem);
        Full = await Side.StartAsync(fastPath: false, pem);
    }

    public async ValueTask DisposeAsync()
    {
        await Fast.DisposeAsync();
        await Full.DisposeAsync();
        Pki.Dispose();
    }

    internal sealed class Side : IAsyncDisposable
    {
        private Side(TestProxy proxy, RawBackend backend)
        {
            Proxy = proxy;
            Backend = backend;
            Counters = new ProxyCounters(proxy, "portico.fastpath.");
        }

        public TestProxy Proxy { get; }

        public RawBackend Backend { get; }

        public ProxyCounters Counters { get; }

        public Uri Plain => Proxy.Addresses.Single(a => a.Scheme == "http");

        public Uri Tls => Proxy.Addresses.Single(a => a.Scheme == "https");

        public static async Task<Side> StartAsync(bool fastPath, (string Cert, string Key) pem)
        {
            var backend = RawBackend.Start();
            var proxy = await TestProxy.StartAsync($$"""
                listeners:
                  main: { address: 127.0.0.1:0 }
                  secure:
                    address: 127.0.0.1:0
                    tls: { certificates: [{ cert: {{pem.Cert}}, key: {{pem.Key}} }] }
                routes:
                  all: { match: { pathPrefix: / }, cluster: app }
                clusters:
                  app:
                    destinations: [{{backend.Url}}]
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
