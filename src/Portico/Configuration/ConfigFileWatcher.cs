using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Portico.Configuration;

/// <summary>
/// Hot reload: watches the config file (and answers SIGHUP) and applies a changed file through
/// <see cref="ConfigApplier"/>. Events are debounced because editors write a file in several
/// steps; a file whose content matches the last one loaded is not applied again, unless SIGHUP
/// asked for the reload (as with nginx, a HUP always reloads). The watch is
/// set up before the server starts serving, and checked once at once, so an edit made while
/// Portico was starting is not missed.
/// </summary>
internal sealed class ConfigFileWatcher(ConfigFileOptions options, ConfigLoader loader, ConfigApplier applier, ConfigLog log) : IHostedService, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private FileSystemWatcher? _watcher;
    private PosixSignalRegistration? _hangup;
    private Task _loop = Task.CompletedTask;
    private volatile bool _forced;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Path is null)
        {
            return Task.CompletedTask;
        }

        var full = Path.GetFullPath(options.Path);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full));
        _watcher.Changed += (_, _) => _signal.Release();
        _watcher.Created += (_, _) => _signal.Release();
        _watcher.Renamed += (_, _) => _signal.Release();
        _watcher.Error += (_, e) => log.WatchFailed(full, e.GetException().Message);
        _watcher.EnableRaisingEvents = true;
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
        {
            ctx.Cancel = true;
            _forced = true;
            _signal.Release();
        });
        _signal.Release();
        _loop = Task.Run(() => LoopAsync(options.Path, full, _stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task LoopAsync(string path, string full, CancellationToken stoppingToken)
    {
        var lastHash = options.LoadedHash;
        try
        {
            while (true)
            {
                await _signal.WaitAsync(stoppingToken);
                await Task.Delay(Debounce, stoppingToken);
                while (_signal.CurrentCount > 0)
                {
                    await _signal.WaitAsync(stoppingToken);
                }

                var forced = _forced;
                _forced = false;
                var loaded = await loader.LoadFileAsync(path);
                var unchanged = loaded.ContentHash.SequenceEqual(lastHash);
                if (unchanged && !forced)
                {
                    loaded.Discard();
                    continue;
                }

                lastHash = loaded.ContentHash;
                if (forced)
                {
                    log.ReloadingOnSignal(full, unchanged ? "unchanged" : "changed");
                }
                else
                {
                    log.Reloading(full);
                }

                applier.Apply(loaded);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The loop ends at its next wait; a load in progress is let finish, briefly, whatever the host's token says.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop.WaitAsync(StopLimit).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _hangup?.Dispose();
        _stopping.Dispose();
        _signal.Dispose();
    }
}

/// <summary>Where the serving config came from (null Path for the built-in demo) and the hash of what was loaded.</summary>
internal sealed record ConfigFileOptions(string? Path, byte[] LoadedHash);
