using Microsoft.Extensions.Logging;

namespace Portico.Redis;

/// <summary>
/// Redis connection log events (ids 8000–8099). Each change of state is logged once (connected,
/// lost, breaker opened or closed, shared mode lost or back), never once per failed command, so an
/// outage under load writes a handful of lines. No event carries the password.
/// </summary>
internal sealed partial class RedisLog(ILogger<RedisLog> logger)
{
    [LoggerMessage(8001, LogLevel.Information, "redis: connecting to {Endpoints} (database {Database}, key prefix {Prefix})")]
    public partial void Connecting(string endpoints, int database, string prefix);

    [LoggerMessage(8002, LogLevel.Information, "redis: connected to {Endpoint}")]
    public partial void Connected(string endpoint);

    [LoggerMessage(8003, LogLevel.Warning, "redis: connection to {Endpoint} lost ({Failure}): {Reason}")]
    public partial void ConnectionLost(string endpoint, string failure, string reason);

    [LoggerMessage(8004, LogLevel.Warning, "redis: circuit breaker open after {Failures} failed command(s), shared state is off for at least {Seconds} s; last error ({Kind}): {Reason}")]
    public partial void BreakerOpened(int failures, double seconds, string kind, string reason);

    [LoggerMessage(8005, LogLevel.Information, "redis: circuit breaker closed, a probe command succeeded; shared state is back")]
    public partial void BreakerClosed();

    [LoggerMessage(8006, LogLevel.Information, "redis: the redis section changed, reconnecting")]
    public partial void Reconnecting();

    [LoggerMessage(8007, LogLevel.Information, "redis: the redis section was removed, disconnected; every instance keeps its state to itself")]
    public partial void Removed();

    [LoggerMessage(8008, LogLevel.Information, "redis: {Count} live instance(s) share this server")]
    public partial void InstancesChanged(long count);

    [LoggerMessage(8009, LogLevel.Warning, "redis: a message on channel {Channel} failed its handler: {Reason}")]
    public partial void HandlerFailed(string channel, string reason);
}
