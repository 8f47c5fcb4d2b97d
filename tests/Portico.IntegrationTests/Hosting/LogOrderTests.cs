using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Cli;
using Portico.Hosting;

namespace Portico.IntegrationTests.Hosting;

/// <summary>
/// `portico run` writes one log, in the order its lines were written, though the proxy and the
/// admin server are two servers. A console provider writes from a queue of its own, so a provider
/// per server let the admin's "Now listening on" come out before the proxy's (a fresh-clone CI
/// read the admin's address as the proxy's and got the dashboard).
/// </summary>
public sealed class LogOrderTests
{
    [Fact]
    public async Task The_admin_server_logs_through_the_proxys_providers()
    {
        var dir = Directory.CreateTempSubdirectory("portico-logs-");
        var path = Path.Combine(dir.FullName, "portico.yaml");
        await File.WriteAllTextAsync(path, """
            listeners:
              main: { address: "127.0.0.1:0" }
            admin:
              address: "127.0.0.1:0"
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [http://127.0.0.1:9] }
            """, TestContext.Current.CancellationToken);
        var loaded = await StandaloneLoader.LoadFileAsync(path);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors));

        // As `portico run` builds it: the console provider, no test sink.
        await using var server = PorticoServer.Build(loaded, path);

        var proxy = server.Proxy.Services.GetServices<ILoggerProvider>().ToList();
        var admin = server.Admin!.Services.GetServices<ILoggerProvider>().ToList();
        Assert.NotEmpty(proxy);
        Assert.Equal(proxy.Count, admin.Count);
        Assert.All(admin, provider => Assert.Contains(proxy, p => ReferenceEquals(p, provider)));
    }
}
