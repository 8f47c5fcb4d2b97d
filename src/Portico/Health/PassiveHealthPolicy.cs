using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Forwarding;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Portico.Health;

/// <summary>
/// Watches proxied requests and ejects a destination for `reactivateAfter` when it fails
/// `consecutiveFailures` times in a row, or when its failure share over `window` reaches
/// `failureRate` (after `minimumRequests`). A failure is a transport error or timeout toward
/// the destination, and with `countServerErrors` a 5xx answer; what the client or its request
/// caused (a hang-up, a broken or stalled body, a request that cannot be sent) is not one (<see cref="FailureCauses"/>).
/// </summary>
internal sealed class PassiveHealthPolicy(ActiveConfig config, IDestinationHealthUpdater updater, TimeProvider time, HealthLog log) : IPassiveHealthCheckPolicy
{
    private readonly ConditionalWeakTable<DestinationState, FailureWindow> _windows = new();

    public string Name => HealthPolicyNames.Passive;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var settings = config.Current.Cluster(cluster.ClusterId)?.Settings.PassiveHealth;
        if (settings is null)
        {
            return;
        }

        // A client that hangs up cancels the exchange, which YARP may report as a failed request
        // when the cancellation lands mid-send: that is the client's doing, never the backend's.
        if (ClientHangUp.Happened(context))
        {
            return;
        }

        var failure = context.Features.Get<IForwarderErrorFeature>();
        var fault = failure is not null && FailureCauses.Of(failure.Error, failure.Exception) == FailureCause.Destination;
        Record(cluster, destination, fault, failure is null && context.Response.StatusCode >= 500);
    }

    /// <summary>
    /// One exchange's outcome for a destination: a fault of the destination (unreachable, timed
    /// out, a broken response), or a 5xx answer, which counts when `countServerErrors` says so.
    /// The fast path reports here directly.
    /// </summary>
    public void Record(ClusterState cluster, DestinationState destination, bool destinationFault, bool serverError)
    {
        var settings = config.Current.Cluster(cluster.ClusterId)?.Settings.PassiveHealth;
        if (settings is null)
        {
            return;
        }

        var failed = destinationFault || (settings.CountServerErrors && serverError);
        var window = _windows.GetValue(destination, _ => new FailureWindow());
        var reason = window.Record(failed, time.GetTimestamp(), time, settings);
        if (reason is not null && destination.Health.Passive != DestinationHealth.Unhealthy)
        {
            log.PassiveEjected(cluster.ClusterId, destination.DestinationId, reason, settings.ReactivateAfter);
            updater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, settings.ReactivateAfter);
        }
    }
}
