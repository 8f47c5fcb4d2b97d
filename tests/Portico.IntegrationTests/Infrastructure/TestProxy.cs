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
    private readonly WebApplication _app;

    private TestProxy(WebApplication app, string configPath, IReadOnlyList<Uri> addresses, LogSink logs)
    {
        _app = app;
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

    public IServiceProvider Services => _app.Services;

    public ConfigApplier Applier => _app.Services.GetRequiredService<ConfigApplier>();

    public IProxyStateLookup State => _app.Services.GetRequiredService<IProxyStateLookup>();

    /// <summary>Starts a proxy for <paramref name="yaml"/>; a config without `listeners` gets one on 127.0.0.1:0.</summary>
    public static async Task<TestProxy> StartAsync(string yaml)
    {
        if (!yaml.Contains("listeners:", StringComparison.Ordinal))
        {
            yaml = "listeners:\n  main:\n    address: 127.0.0.1:0\n" + yaml;
        }

        var dir = Directory.CreateTempSubdirectory("portico-test-");
        var path = Path.Combine(dir.FullName, "portico.yaml");
        await File.WriteAllTextAsync(path, yaml);
        var loaded = await StandaloneLoader.LoadFileAsync(path);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors));
        var logs = new LogSink();
        var app = PorticoHost.Build(loaded, path, logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(logs);
        });
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToArray();
        return new TestProxy(app, path, addresses, logs);
    }

    /// <summary>Writes a new config file and waits until the proxy has tried to load it.</summary>
    public async Task<ReloadOutcome> RewriteConfigAsync(string yaml)
    {
        if (!yaml.Contains("listeners:", StringComparison.Ordinal))
        {
            yaml = "listeners:\n  main:\n    address: 127.0.0.1:0\n" + yaml;
        }

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

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }

        await _app.DisposeAsync();
        try
        {
            Directory.Delete(Path.GetDirectoryName(ConfigPath)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
