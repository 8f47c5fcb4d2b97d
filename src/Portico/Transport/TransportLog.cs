using Microsoft.Extensions.Logging;

namespace Portico.Transport;

/// <summary>
/// Event-loop transport log events (ids 6000–6099). Static: an <see cref="EventLoop"/> logs
/// through the logger its transport hands it.
/// </summary>
internal static partial class TransportLog
{
    [LoggerMessage(6001, LogLevel.Critical, "The I/O loop {Index} stopped: epoll_wait failed with errno {Errno}")]
    public static partial void LoopStopped(ILogger logger, int index, int errno);

    [LoggerMessage(6002, LogLevel.Error, "I/O loop {Index}: posted work failed")]
    public static partial void PostedWorkFailed(ILogger logger, Exception error, int index);

    [LoggerMessage(6003, LogLevel.Error, "I/O loop {Index}: a connection's event handler failed")]
    public static partial void HandlerFailed(ILogger logger, Exception error, int index);

    [LoggerMessage(6004, LogLevel.Error, "Listener {EndPoint}: cannot accept connections, {Reason} (errno {Errno}); they wait in the backlog, tried again every 100 ms")]
    public static partial void AcceptPaused(ILogger logger, System.Net.EndPoint endPoint, string reason, int errno);

    [LoggerMessage(6005, LogLevel.Information, "Listener {EndPoint}: accepting connections again")]
    public static partial void AcceptResumed(ILogger logger, System.Net.EndPoint endPoint);

    [LoggerMessage(6006, LogLevel.Error, "Unhandled exception while processing connection {ConnectionId}")]
    public static partial void ConnectionFailed(ILogger logger, Exception error, string connectionId);

    [LoggerMessage(6007, LogLevel.Error, "Connection {ConnectionId}: its heartbeat (Kestrel's timeouts) failed")]
    public static partial void HeartbeatFailed(ILogger logger, Exception error, string connectionId);

    [LoggerMessage(6008, LogLevel.Warning, "The server's stop: {Count} connections did not close within the shutdown timeout and were aborted")]
    public static partial void ConnectionsAborted(ILogger logger, int count);

    [LoggerMessage(6010, LogLevel.Warning, "Kestrel's connection metrics feature was not found in this ASP.NET Core: connections are started by Kestrel's dispatcher (one thread-pool hop each) instead of on the event loop that accepted them")]
    public static partial void DispatchUnavailable(ILogger logger);
}
