using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// Two proxies from one config, one with the fast path and one without, each in front of its own
/// <see cref="RawBackend"/>, so a test can send the same bytes through both paths and compare
/// what the client and the backend saw.
/// </summary>
public sealed class BothPathsFixture : IAsyncLifetime
{
    internal Side Fast { get; private set; } = null!;

    internal Side Full { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Fast = await Side.StartAsync(fastPath: true);
        Full = await Side.StartAsync(fastPath: false);
    }

    public async ValueTask DisposeAsync()
    {
        await Fast.DisposeAsync();
        await Full.DisposeAsync();
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

        public static async Task<Side> StartAsync(bool fastPath)
        {
            var backend = RawBackend.Start();
            var proxy = await TestProxy.StartAsync($$"""
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
