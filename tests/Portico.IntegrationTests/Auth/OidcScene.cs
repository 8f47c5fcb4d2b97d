using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>The usual OIDC test setup: a provider, a backend, Portico with OidcTests.Config, and a browser logged in as alice at /app/x.</summary>
internal sealed class OidcScene : IAsyncDisposable
{
    private OidcScene(OpenIdProvider provider, TestBackend backend, TestProxy proxy)
    {
        Provider = provider;
        Backend = backend;
        Proxy = proxy;
        Url = new Uri(proxy.Address, "/app/x");
    }

    public OpenIdProvider Provider { get; }

    public TestBackend Backend { get; }

    public TestProxy Proxy { get; }

    public OidcBrowser Browser { get; } = new();

    public Uri Url { get; }

    public static async Task<OidcScene> LoggedInAsync(DirectoryInfo keys, Action<OpenIdProvider>? setUp = null)
    {
        var provider = await OpenIdProvider.StartAsync(TimeSpan.FromHours(1));
        setUp?.Invoke(provider);
        var backend = await TestBackend.StartAsync("app");
        var scene = new OidcScene(provider, backend, await TestProxy.StartAsync(OidcTests.Config(keys, provider, backend)));
        await scene.Browser.LoginAsync(scene.Url, provider);
        return scene;
    }

    public async ValueTask DisposeAsync()
    {
        Browser.Dispose();
        await Proxy.DisposeAsync();
        await Backend.DisposeAsync();
        await Provider.DisposeAsync();
    }
}
