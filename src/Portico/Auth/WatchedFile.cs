using System.Security.Cryptography;
using System.Text;
using Portico.Configuration;

namespace Portico.Auth;

/// <summary>
/// A credentials file (API keys, htpasswd) kept parsed in memory and parsed again when it changes
/// on disk, so keys and passwords rotate without a config reload. A change that does not parse
/// is logged and the last good content keeps serving: a typo must not lock every user out.
/// Watching starts only once the config serves (<see cref="Watch"/>), so `portico check` and a
/// refused reload leave no watcher behind; it then looks once at once, so an edit made between
/// loading and serving is not missed. Events are debounced: editors write a file in steps.
/// </summary>
internal sealed class WatchedFile<T> : IWatchedFile
    where T : class
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(100);

    private readonly string _path;
    private readonly Func<string, ConfigErrors, T?> _parse;
    private readonly CancellationTokenSource _disposed = new();
    private FileSystemWatcher? _watcher;
    private AuthLog? _log;
    private TimeProvider _time = TimeProvider.System;
    private int _pending;
    private string _hash;
    private T _current;

    private WatchedFile(string path, T current, string hash, Func<string, ConfigErrors, T?> parse)
    {
        _path = path;
        _current = current;
        _hash = hash;
        _parse = parse;
    }

    public T Current => Volatile.Read(ref _current);

    /// <summary>Reads and parses <paramref name="path"/> now; null, with the reasons in <paramref name="errors"/>, when it cannot be used.</summary>
    public static WatchedFile<T>? Open(string path, Func<string, ConfigErrors, T?> parse, ConfigErrors errors)
        => Load(path, parse, errors) is var (value, hash) ? new WatchedFile<T>(path, value, hash, parse) : null;

    /// <summary>Starts watching, logging to the serving host's log; once only.</summary>
    public void Watch(AuthLog log, TimeProvider time)
    {
        if (Interlocked.CompareExchange(ref _log, log, null) is not null || _disposed.IsCancellationRequested)
        {
            return;
        }

        _time = time;
        var watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path));
        watcher.Changed += (_, _) => Changed();
        watcher.Created += (_, _) => Changed();
        watcher.Renamed += (_, _) => Changed();
        watcher.Error += (_, e) => log.FileWatchFailed(_path, e.GetException().Message);
        watcher.EnableRaisingEvents = true;
        _watcher = watcher;
        if (_disposed.IsCancellationRequested)
        {
            // Retired while the watch was being set up.
            watcher.Dispose();
            return;
        }

        Changed();
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _watcher?.Dispose();
    }

    private static (T Value, string Hash)? Load(string path, Func<string, ConfigErrors, T?> parse, ConfigErrors errors)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(0, "", $"cannot be read: {ex.Message}");
            return null;
        }

        var value = parse(text, errors);
        return errors.Any || value is null ? null : (value, Hash(text));
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private void Changed()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _ = ReloadAsync();
        }
    }

    private async Task ReloadAsync()
    {
        try
        {
            await Task.Delay(Debounce, _time, _disposed.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Volatile.Write(ref _pending, 0);
        var errors = new ConfigErrors(_path);
        if (Load(_path, _parse, errors) is var (value, hash))
        {
            if (hash != _hash)
            {
                _hash = hash;
                Volatile.Write(ref _current, value);
                _log!.FileReloaded(_path);
            }
        }
        else
        {
            _log!.FileRefused(_path, string.Join("; ", errors.All.Select(e => e.Line > 0 ? $"line {e.Line}: {(e.Key.Length > 0 ? e.Key + ": " : "")}{e.Reason}" : e.Reason)));
        }
    }
}
