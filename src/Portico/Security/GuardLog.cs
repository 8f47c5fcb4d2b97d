using Microsoft.Extensions.Logging;

namespace Portico.Security;

/// <summary>Traffic-filtering log events (ids 3000–3099). Refusals are routine under attack: debug and information only.</summary>
internal sealed partial class GuardLog(ILogger<GuardLog> logger)
{
    [LoggerMessage(3001, LogLevel.Information, "refused HTTP/1 input from {Peer} with {Status}: {Reason}; connection closed")]
    public partial void FramingRefused(string peer, int status, string reason);

    [LoggerMessage(3002, LogLevel.Information, "refused request from {Client} with {Status}: {Reason}")]
    public partial void RequestRefused(string client, int status, string reason);

    [LoggerMessage(3003, LogLevel.Debug, "closed a connection from {Peer}: {Open} already open from that address (maxConnectionsPerIp)")]
    public partial void TooManyConnections(string peer, int open);

    [LoggerMessage(3005, LogLevel.Debug, "closed a connection from {Peer}: {Limit} connections already open in total (maxConnections)")]
    public partial void TooManyConnectionsInTotal(string peer, long limit);

    [LoggerMessage(3004, LogLevel.Information, "answered plain HTTP from {Peer} on HTTPS listener '{Listener}' with 400; connection closed")]
    public partial void PlainHttpRefused(string peer, string listener);
}
