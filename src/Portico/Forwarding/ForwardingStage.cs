using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Forwarding;

/// <summary>
/// The forwarder's declaration (stage 7, <see cref="ForwardingMiddleware"/> and YARP): the fast
/// path forwards to a cluster it reaches as the full path would, plain HTTP/1.1 to destinations
/// without a path, named by IP or by host name (resolved per new connection, as the full path's
/// client resolves them: BackendPool; destinations DNS discovery finds are http://IP:port/),
/// chosen by the cluster's own policy among those health checks leave available, within the
/// cluster's timeouts, with passive health judging each exchange and `retries` done as the full
/// path does them (FastForwarder: the same failures, exclusions, counting and log).
/// Every load-balancing policy, consistent hashing included (its key read from the head as the
/// full path reads it). TLS, HTTP/2 and a connection cap are the full pipeline's.
/// `retryNonIdempotent` concerns POST and PATCH, which the fast path never takes.
/// </summary>
internal sealed class ForwardingStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } =
    [
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Cluster)),
        SettingName.Of<RouteSettings>(nameof(RouteSettings.RetryNonIdempotent)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.Id)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.Destinations)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.Discovery)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.LoadBalancing)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.HashKey)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.Timeout)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.ConnectTimeout)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.Retries)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.HttpVersion)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.MaxConnectionsPerServer)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.Tls)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.ActiveHealth)),
        SettingName.Of<ClusterSettings>(nameof(ClusterSettings.PassiveHealth)),
    ];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
    {
        var cluster = settings.Clusters.FirstOrDefault(c => c.Id == route.Cluster);
        return cluster is null ? StageVerdict.FullPipelineWhenForwarding(HandOverReason.Cluster)
            : Refusal(cluster) is { } reason ? StageVerdict.FullPipelineWhenForwarding(reason)
            : StageVerdict.Honoured;
    }

    private static HandOverReason? Refusal(ClusterSettings cluster)
    {
        if (cluster.Tls is not null || cluster.HttpVersion != "1.1" || cluster.MaxConnectionsPerServer is not null)
        {
            return HandOverReason.Cluster;
        }

        foreach (var destination in cluster.Destinations)
        {
            var address = destination.Address;
            if (address.Scheme != "http" || address.AbsolutePath != "/" || address.Query.Length > 0)
            {
                return HandOverReason.Destination;
            }
        }

        return null;
    }
}
