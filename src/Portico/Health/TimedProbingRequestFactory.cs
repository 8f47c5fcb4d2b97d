using System.Runtime.CompilerServices;
using Portico.Forwarding;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Portico.Health;

/// <summary>
/// YARP's probe requests (its own factory builds them: address, path, query, version, user agent),
/// recast as <see cref="ProbeRequest"/> so the cluster's client times them, and the last one per
/// destination kept for the health policy: a probe that failed has no response to find it by.
/// </summary>
internal sealed class TimedProbingRequestFactory(IProbingRequestFactory inner) : IProbingRequestFactory
{
    private readonly ConditionalWeakTable<DestinationModel, ProbeRequest> _last = new();

    public HttpRequestMessage CreateRequest(ClusterModel cluster, DestinationModel destination)
    {
        // Forgotten first: a probe YARP could not build was never sent, and has no time.
        _last.Remove(destination);
        using var plain = inner.CreateRequest(cluster, destination);
        var probe = new ProbeRequest(plain.Method, plain.RequestUri) { Version = plain.Version, VersionPolicy = plain.VersionPolicy, Content = plain.Content };
        plain.Content = null;
        foreach (var (name, values) in plain.Headers)
        {
            probe.Headers.TryAddWithoutValidation(name, values);
        }

        foreach (var (key, value) in plain.Options)
        {
            probe.Options.Set(new HttpRequestOptionsKey<object?>(key), value);
        }

        _last.AddOrUpdate(destination, probe);
        return probe;
    }

    /// <summary>How long the destination's last probe took; null before its first or while it is under way.</summary>
    public TimeSpan? LastTook(DestinationModel destination) => _last.TryGetValue(destination, out var probe) ? probe.Took : null;
}
