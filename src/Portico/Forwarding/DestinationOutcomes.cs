using System.Net.Http;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Portico.Observability;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Forwarding;

/// <summary>Reads how one attempt on a destination ended (<see cref="DestinationOutcome"/>), for the per-destination statistics.</summary>
internal static class DestinationOutcomes
{
    /// <summary>The attempt's outcome; null when it says nothing about the destination (the client hung up, or the request could not be sent).</summary>
    public static DestinationOutcome? Of(HttpContext context, IForwarderErrorFeature? error)
    {
        if (error is null)
        {
            return context.Response.StatusCode >= 500 ? DestinationOutcome.ServerError : DestinationOutcome.Answered;
        }

        if (ClientHangUp.RouteTimedOut(context))
        {
            return DestinationOutcome.Timeout;
        }

        if (ClientHangUp.Happened(context) || FailureCauses.Of(error.Error, error.Exception) != FailureCause.Destination)
        {
            return null;
        }

        return error.Error switch
        {
            ForwarderError.RequestTimedOut => DestinationOutcome.Timeout,
            ForwarderError.Request when NoConnection(error.Exception) => DestinationOutcome.Connect,
            _ => DestinationOutcome.Reset,
        };
    }

    /// <summary>SocketsHttpHandler could not open a connection (refused, unreachable, name not resolved): it reports that as a ConnectionError.</summary>
    private static bool NoConnection(Exception? exception)
        => exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }
           || exception?.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable };
}
