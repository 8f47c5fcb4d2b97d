using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Forwarding;

/// <summary>Forwarding log events (ids 1000–1099).</summary>
internal sealed partial class ForwardingLog(ILogger<ForwardingLog> logger)
{
    [LoggerMessage(1001, LogLevel.Warning, "route {Route}: forwarding to destination {Destination} failed ({Error}): {Detail}")]
    public partial void ForwardFailed(string route, string destination, ForwarderError error, string detail);

    [LoggerMessage(1003, LogLevel.Debug, "route {Route}: the client went away during the exchange with destination {Destination} ({Error})")]
    public partial void ClientGone(string route, string destination, ForwarderError error);

    [LoggerMessage(1004, LogLevel.Information, "route {Route}: the request was not forwarded to destination {Destination} through the client's doing ({Error}): {Detail}")]
    public partial void RequestRefused(string route, string destination, ForwarderError error, string detail);

    [LoggerMessage(1002, LogLevel.Information, "route {Route}: retry {Attempt} after {Error} on destination {Destination}")]
    public partial void Retrying(string route, string destination, int attempt, ForwarderError error);
}
