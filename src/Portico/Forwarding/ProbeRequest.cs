namespace Portico.Forwarding;

/// <summary>
/// An active health probe on its way through the cluster's client: its own type so that
/// <see cref="ProbeTimer"/> times probes alone, with a type test, and proxied requests pay nothing
/// more. <see cref="Took"/> is written once the exchange ends, before the prober's await resumes.
/// </summary>
internal sealed class ProbeRequest(HttpMethod method, Uri? uri) : HttpRequestMessage(method, uri)
{
    /// <summary>From sending the probe to its response headers, or to its failure; null while under way.</summary>
    public TimeSpan? Took { get; set; }
}
