using Microsoft.Extensions.Logging;

namespace Portico.Configuration;

/// <summary>Configuration log events (ids 100–199).</summary>
internal sealed partial class ConfigLog(ILogger<ConfigLog> logger)
{
    [LoggerMessage(101, LogLevel.Information, "config revision {Revision} applied: {Summary}")]
    public partial void Applied(int revision, string summary);

    [LoggerMessage(102, LogLevel.Error, "config from {Source} refused ({Count} error(s)); still serving the last good config")]
    public partial void ReloadRefused(string source, int count);

    [LoggerMessage(103, LogLevel.Error, "{Error}")]
    public partial void ConfigError(string error);

    [LoggerMessage(104, LogLevel.Warning, "{Source}: listener and server-wide limits changes take effect on restart; the rest was applied")]
    public partial void ListenersNeedRestart(string source);

    [LoggerMessage(105, LogLevel.Information, "{Source} changed; reloading")]
    public partial void Reloading(string source);

    [LoggerMessage(108, LogLevel.Information, "SIGHUP: reloading {Source} (the file is {State} since the last load)")]
    public partial void ReloadingOnSignal(string source, string state);

    [LoggerMessage(107, LogLevel.Error, "the proxy engine refused a config that passed validation; still serving the last good config: {Reason}")]
    public partial void YarpRejected(string reason);

    [LoggerMessage(106, LogLevel.Warning, "watching {Source} for changes failed: {Reason}")]
    public partial void WatchFailed(string source, string reason);
}
