using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Cli;
using Portico.Configuration;
using Portico.Hosting;
using Yarp.ReverseProxy;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// The real Portico server, built exactly as `portico run` builds it, from a YAML file written
/// to a temp folder (so hot reload can be exercised), listening on 127.0.0.1 with a free port.
/// </summary>
internal sealed class TestProxy : IAsyncDisposable
{
    private readonly PorticoServer _server;

    private TestProxy(PorticoServer server, string configPath, IReadOnlyList<Uri> addresses, LogSink logs)
    {
        _server = server;
        ConfigPath = configPath;
        Addresses = addresses;
        Logs = logs;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = addresses[0], Timeout = TimeSpan.FromSeconds(30) };
    }

    public string ConfigPath { get; }

    public IReadOnlyList<Uri> Addresses { get; }

    public Uri Address => Addresses[0];

    public HttpClient Client { get; }

    public LogSink Logs { get; }

    public IServiceProvider Services => _server.Services;

    public Uri? AdminAddress => _server.AdminAddress;

    public ConfigApplier Applier => Services.GetRequiredService<ConfigApplier>();

    public IProxyStateLookup State => Services.GetRequiredService<IProxyStateLookup>();

    /// <summary>Starts a proxy for <paramref name="yaml"/>; a config without `listeners` gets one on 127.0.0.1:0.</summary>
    /// <param name="fastPath">Whether the fast path runs; null lets PORTICO_FASTPATH decide, as `portico run` does.</param>
    public static async Task<TestProxy> StartAsync(string yaml, bool? fastPath = null)
    {
        yaml = WithDefaults(yaml);

        var dir = Directory.CreateTempSubdirectory("portico-test-");
        var path = Path.Combine(dir.FullName, "portico.yaml");
        await File.WriteAllTextAsync(path, yaml);
        var loaded = await StandaloneLoader.LoadFileAsync(path);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors));
        var logs = new LogSink();
        var server = PorticoServer.Build(loaded, path, logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(logs);
        }, fastPath);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            // A port the config names may be taken (see FreePorts.RetryAsync): nothing is left running.
            await server.DisposeAsync();
            throw;
        }

        return new TestProxy(server, path, server.ProxyAddresses, logs);
    }

    /// <summary>Writes a new config file and waits until the proxy has tried to load it.</summary>
    public async Task<ReloadOutcome> RewriteConfigAsync(string yaml)
    {
        yaml = WithDefaults(yaml);

        var before = Applier.LastOutcome;
        var temp = ConfigPath + ".tmp";
        await File.WriteAllTextAsync(temp, yaml);
        File.Move(temp, ConfigPath, overwrite: true);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (ReferenceEquals(Applier.LastOutcome, before))
        {
            Assert.True(DateTime.UtcNow < deadline, "the proxy did not reload the config within 10s");
            await Task.Delay(20);
        }

        var outcome = Applier.LastOutcome!;
        if (outcome.Applied)
        {
            await Poll.UntilAsync(() => Applier.ServingRevision >= outcome.Revision, $"revision {outcome.Revision} to serve", seconds: 10);
        }

        return outcome;
    }

    /// <summary>A listener on 127.0.0.1:0 and the admin listener on 127.0.0.1:0 unless the test names its own; the access log off unless asked for.</summary>
    private static string WithDefaults(string yaml)
    {
        if (!yaml.Contains("listeners:", StringComparison.Ordinal))
        {
            yaml = "listeners:\n  main:\n    address: 127.0.0.1:0\n" + yaml;
        }

        if (!yaml.Contains("admin:", StringComparison.Ordinal))
        {
            yaml += "\nadmin:\n  address: 127.0.0.1:0\n";
        }

        if (!yaml.Contains("accessLog:", StringComparison.Ordinal))
        {
            yaml += "\naccessLog:\n  enabled: false\n";
        }

        return yaml;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _server.StopAsync(stop.Token);
        }

        await _server.DisposeAsync();
        try
        {
            Directory.Delete(Path.GetDirectoryName(ConfigPath)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
