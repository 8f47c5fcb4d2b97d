namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// One Portico process behind a <see cref="HaproxyFront"/>: its own config file (which a test
/// may rewrite for a reload), a proxy listener and an admin listener on ports named up front,
/// as the front's config must name them before either instance starts.
/// </summary>
internal sealed class FrontedInstance : IAsyncDisposable
{
    private PorticoProcess? _process;

    private FrontedInstance(string name, int port, int adminPort, string configPath)
    {
        Name = name;
        Port = port;
        AdminPort = adminPort;
        ConfigPath = configPath;
    }

    /// <summary>"a", "b": its server name in the front.</summary>
    public string Name { get; }

    public int Port { get; }

    public int AdminPort { get; }

    public string ConfigPath { get; }

    public PorticoProcess Process => _process ?? throw new InvalidOperationException($"instance {Name} is not running");

    /// <summary>
    /// Writes the config <paramref name="config"/> makes for this instance's name and ports, starts
    /// `portico run` on it and waits until both listeners accept; new ports when one was taken.
    /// </summary>
    public static Task<FrontedInstance> StartAsync(string name, Func<FrontedInstance, string> config, IReadOnlyDictionary<string, string>? environment = null)
        => FreePorts.RetryAsync(async () =>
        {
            var folder = Directory.CreateTempSubdirectory($"portico-{name}-").FullName;
            var instance = new FrontedInstance(name, FreePorts.Take(), FreePorts.Take(), Path.Combine(folder, "portico.yaml"));
            await File.WriteAllTextAsync(instance.ConfigPath, config(instance));
            instance._process = PorticoProcess.StartWith(environment ?? new Dictionary<string, string>(), "run", "-c", instance.ConfigPath);
            try
            {
                await instance.Process.WaitForPortAsync(instance.Port);
                await instance.Process.WaitForPortAsync(instance.AdminPort);
                return instance;
            }
            catch
            {
                await instance.DisposeAsync();
                throw;
            }
        });

    /// <summary>The lines this instance logged with event id <paramref name="eventId"/> (the console's "Category[ID]" form).</summary>
    public IReadOnlyList<string> Logged(int eventId)
        => Process.Stdout.Split('\n').Where(l => l.Contains($"[{eventId}] ", StringComparison.Ordinal)).ToList();

    /// <summary>Replaces the config file the way deployment tools do: write beside it, then rename over it.</summary>
    public async Task RewriteConfigAsync(string yaml)
    {
        await File.WriteAllTextAsync(ConfigPath + ".new", yaml);
        File.Move(ConfigPath + ".new", ConfigPath, overwrite: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        try
        {
            Directory.Delete(Path.GetDirectoryName(ConfigPath)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
