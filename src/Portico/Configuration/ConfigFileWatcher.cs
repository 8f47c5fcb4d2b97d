using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;

namespace Portico.Configuration;

/// <summary>
/// Hot reload: watches the config file (and answers SIGHUP) and applies a changed file through
/// <see cref="ConfigApplier"/>. Events are debounced because editors write a file in several
/// steps; a file whose bytes did not change is not reloaded.
/// </summary>
internal sealed class ConfigFileWatcher(ConfigFileOptions options, ConfigLoader loader, ConfigApplier applier, ConfigLog log) : BackgroundService
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Path is null)
        {
            return;
        }

        var full = Path.GetFullPath(options.Path);
        var signal = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full));
        FileSystemEventHandler onChange = (_, _) => signal.Release();
        watcher.Changed += onChange;
        watcher.Created += onChange;
        watcher.Renamed += (_, _) => signal.Release();
        watcher.Error += (_, e) => log.WatchFailed(full, e.GetException().Message);
        watcher.EnableRaisingEvents = true;
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
        {
            ctx.Cancel = true;
            signal.Release();
        });

        var lastHash = await HashAsync(full);
        while (!stoppingToken.IsCancellationRequested)
        {
            await signal.WaitAsync(stoppingToken);
            await Task.Delay(Debounce, stoppingToken);
            while (signal.CurrentCount > 0)
            {
                await signal.WaitAsync(stoppingToken);
            }

            var hash = await HashAsync(full);
            if (hash.SequenceEqual(lastHash))
            {
                continue;
            }

            lastHash = hash;
            log.Reloading(full);
            applier.Apply(await loader.LoadFileAsync(options.Path));
        }
    }

    private static async Task<byte[]> HashAsync(string path)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return await SHA256.HashDataAsync(stream);
        }
        catch (IOException)
        {
            return [];
        }
    }
}

/// <summary>Where the serving config came from; null Path for the built-in demo.</summary>
internal sealed record ConfigFileOptions(string? Path);
