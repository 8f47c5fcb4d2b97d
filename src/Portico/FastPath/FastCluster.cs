using Portico.Configuration.Model;

namespace Portico.FastPath;

/// <summary>A cluster as the fast path forwards to it (the forwarding stage's declaration says which it may): plain HTTP/1.1 to destinations without a path.</summary>
internal sealed class FastCluster(ClusterSettings settings, TimeSpan? routeTimeout)
{
    // YARP's default activity timeout when the cluster sets none.
    private static readonly TimeSpan DefaultActivityTimeout = TimeSpan.FromSeconds(100);

    public ClusterSettings Settings { get; } = settings;

    public TimeSpan? RouteTimeout { get; } = routeTimeout;

    public TimeSpan ActivityTimeout { get; } = settings.Timeout ?? DefaultActivityTimeout;

    /// <summary>The cluster balances by consistent hash, whose policy reads the request.</summary>
    public bool Hashes { get; } = settings.LoadBalancing == LoadBalancing.PolicyNames.ConsistentHash;
}
