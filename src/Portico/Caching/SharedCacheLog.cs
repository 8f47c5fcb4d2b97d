using Microsoft.Extensions.Logging;

namespace Portico.Caching;

/// <summary>
/// The shared (Redis) cache tier's log events (ids 8300–8349). A Redis outage itself is logged by
/// the connection (8001–8009) once per change of state; these say what it meant for the cache.
/// </summary>
internal sealed partial class SharedCacheLog(ILogger<SharedCacheLog> logger)
{
    [LoggerMessage(8300, LogLevel.Warning, "cache: a value in the shared tier for {Key} is not a stored response this version reads; ignored (a miss)")]
    public partial void Unreadable(string key);

    [LoggerMessage(8301, LogLevel.Information, "cache: purge {Id} ({What} {Target}) from instance {From}: {Count} stored response(s) purged here")]
    public partial void PurgeReceived(string id, string what, string target, string from, int count);

    [LoggerMessage(8302, LogLevel.Warning, "cache: purge {Id} ({What} {Target}) was not confirmed within {Seconds} s by {Missing} of {Instances} live instance(s): {Names}")]
    public partial void PurgeUnconfirmed(string id, string what, string target, double seconds, int missing, int instances, string names);

    [LoggerMessage(8303, LogLevel.Warning, "cache: purge {Id} ({What} {Target}) reached only this instance: Redis is not available, so other instances still hold what they stored")]
    public partial void PurgeNotBroadcast(string id, string what, string target);

    [LoggerMessage(8304, LogLevel.Warning, "cache: a purge message could not be read: {Reason}")]
    public partial void PurgeMessageUnreadable(string reason);
}
