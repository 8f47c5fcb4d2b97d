using System.Net.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Forwarding;

/// <summary>Whose doing a failed forward was: it decides the status, the retry, the local answer's reason and passive health.</summary>
internal enum FailureCause
{
    /// <summary>The destination: unreachable, too slow, or a broken answer. Retried when nothing was sent yet; counts for passive health.</summary>
    Destination,

    /// <summary>The client: it hung up, sent a broken body, or stalled sending it. Never counts against a destination.</summary>
    Client,

    /// <summary>The request itself could not be put on the wire. Never counts against a destination, never retried.</summary>
    Request,
}

/// <summary>Reads YARP's <see cref="ForwarderError"/> and its exception as a <see cref="FailureCause"/>, once for every consumer.</summary>
internal static class FailureCauses
{
    /// <remarks>
    /// A client that stalls its body past the cluster's `timeout` is RequestBodyClient (YARP's
    /// body copy reports the cancelled read from the client, and answers 408), so a Client failure.
    /// </remarks>
    public static FailureCause Of(ForwarderError error, Exception? exception) => error switch
    {
        ForwarderError.RequestCreation => FailureCause.Request,
        ForwarderError.Request when Unsendable(exception) => FailureCause.Request,
        ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.RequestBodyDestination
            or ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination
            or ForwarderError.UpgradeRequestDestination or ForwarderError.UpgradeResponseDestination => FailureCause.Destination,
        _ => FailureCause.Client,
    };

    /// <summary>
    /// SocketsHttpHandler refused to write the request (a header it cannot encode, say): an
    /// HttpRequestException with no transport error behind it. Connection, TLS, protocol and
    /// response failures carry an <see cref="HttpRequestError"/> or an inner IOException/SocketException.
    /// </summary>
    private static bool Unsendable(Exception? exception)
        => exception is HttpRequestException { HttpRequestError: HttpRequestError.Unknown, InnerException: null };
}
