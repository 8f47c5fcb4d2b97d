using System.Net.Http;
using System.Net.Sockets;
using Portico.Forwarding;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Tests.Forwarding;

/// <summary>Whose doing a failed forward was: only the destination's own failures count against it.</summary>
public sealed class FailureCausesTests
{
    [Fact]
    public void A_request_the_backend_client_refused_to_write_is_the_requests_doing()
    {
        var refused = new HttpRequestException("Request headers must contain only ASCII characters.");

        Assert.Equal(FailureCause.Request, FailureCauses.Of(ForwarderError.Request, refused));
        Assert.Equal(FailureCause.Request, FailureCauses.Of(ForwarderError.RequestCreation, new InvalidOperationException()));
    }

    [Fact]
    public void Transport_failures_toward_the_destination_are_its_doing()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));
        var reset = new HttpRequestException("An error occurred while sending the request.", new IOException("reset"));

        Assert.Equal(FailureCause.Destination, FailureCauses.Of(ForwarderError.Request, refused));
        Assert.Equal(FailureCause.Destination, FailureCauses.Of(ForwarderError.Request, reset));
        Assert.Equal(FailureCause.Destination, FailureCauses.Of(ForwarderError.RequestTimedOut, new TaskCanceledException()));
        Assert.Equal(FailureCause.Destination, FailureCauses.Of(ForwarderError.ResponseHeaders, null));
        Assert.Equal(FailureCause.Destination, FailureCauses.Of(ForwarderError.RequestBodyDestination, null));
    }

    [Fact]
    public void Hang_ups_and_broken_or_stalled_bodies_are_the_clients_doing()
    {
        foreach (var error in (ForwarderError[])[ForwarderError.RequestCanceled, ForwarderError.RequestBodyCanceled, ForwarderError.RequestBodyClient,
                     ForwarderError.ResponseBodyClient, ForwarderError.ResponseBodyCanceled, ForwarderError.UpgradeRequestClient])
        {
            Assert.Equal(FailureCause.Client, FailureCauses.Of(error, null));
        }
    }
}
