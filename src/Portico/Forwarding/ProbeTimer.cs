namespace Portico.Forwarding;

/// <summary>
/// Times active health probes in the cluster's client, where they are sent: YARP hands the
/// health policy a probe's response but not how long it took, and the policy hears of a cluster's
/// probes only once the slowest has ended. Any other request passes straight through.
/// </summary>
internal sealed class ProbeTimer(HttpMessageHandler inner, TimeProvider time) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        => request is ProbeRequest probe ? TimeAsync(probe, cancellationToken) : base.SendAsync(request, cancellationToken);

    private async Task<HttpResponseMessage> TimeAsync(ProbeRequest probe, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        try
        {
            return await base.SendAsync(probe, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            probe.Took = time.GetElapsedTime(start);
        }
    }
}
