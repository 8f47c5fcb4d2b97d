using System.Runtime.CompilerServices;
using Portico.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Portico.Health;

/// <summary>
/// Judges active probes with the cluster's thresholds: `unhealthyThreshold` failed probes in a
/// row take a destination out, `healthyThreshold` passing probes in a row bring it back. A probe
/// passes when the status is in `expectedStatus`. A passive ejection ends at its `reactivateAfter`
/// or sooner when `healthyThreshold` probes in a row pass while it lasts; only passing probes
/// lift it. A failed probe proves nothing good about a destination, and one that already
/// failed real requests must not get traffic back on the strength of passes counted before.
/// </summary>
internal sealed class ThresholdActiveHealthPolicy(ActiveConfig config, IDestinationHealthUpdater updater, TimedProbingRequestFactory probes, HealthLog log, TimeProvider time) : IActiveHealthCheckPolicy
{
    private readonly ConditionalWeakTable<DestinationState, ProbeCounters> _counters = new();

    public string Name => HealthPolicyNames.Active;

    /// <summary>The destination's last probe (the admin API shows it); null before its first.</summary>
    public ProbeResult? LastProbe(DestinationState destination) => _counters.TryGetValue(destination, out var counters) ? counters.Last : null;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        var settings = config.Current.Cluster(cluster.ClusterId)?.Settings.ActiveHealth;
        if (settings is null || probingResults.Count == 0)
        {
            return;
        }

        var results = new NewActiveDestinationHealth[probingResults.Count];
        for (var i = 0; i < probingResults.Count; i++)
        {
            var (destination, response) = (probingResults[i].Destination, probingResults[i].Response);
            var previous = destination.Health.Active;
            var passed = response is not null && settings.ExpectedStatus.Any(r => r.Contains((int)response.StatusCode));
            var counters = _counters.GetOrCreateValue(destination);
            counters.Last = new ProbeResult(passed, ProbeOutcome.Describe(response, probingResults[i].Exception, settings.Timeout), time.GetUtcNow(), probes.LastTook(destination.Model));
            var next = previous;
            if (passed)
            {
                counters.Failures = 0;
                counters.Successes++;
                if (previous == DestinationHealth.Unknown || counters.Successes >= settings.HealthyThreshold)
                {
                    next = DestinationHealth.Healthy;
                }
            }
            else
            {
                counters.Successes = 0;
                counters.Failures++;
                if (counters.Failures >= settings.UnhealthyThreshold)
                {
                    next = DestinationHealth.Unhealthy;
                }
            }

            if (next != previous)
            {
                var probe = counters.Last.Outcome;
                if (next == DestinationHealth.Unhealthy)
                {
                    log.ActiveUnhealthy(cluster.ClusterId, destination.DestinationId, probe);
                }
                else
                {
                    log.ActiveHealthy(cluster.ClusterId, destination.DestinationId, probe);
                }
            }

            counters.PassesWhileEjected = destination.Health.Passive != DestinationHealth.Unhealthy ? 0
                : passed ? counters.PassesWhileEjected + 1 : 0;
            if (counters.PassesWhileEjected >= settings.HealthyThreshold)
            {
                counters.PassesWhileEjected = 0;
                updater.SetPassive(cluster, destination, DestinationHealth.Unknown, TimeSpan.Zero);
            }

            results[i] = new NewActiveDestinationHealth(destination, next);
        }

        updater.SetActive(cluster, results);
    }

    private sealed class ProbeCounters
    {
        // Probes of one cluster complete on one monitor pass at a time, so plain fields suffice.
        public int Successes;
        public int Failures;

        /// <summary>Passing probes in a row since the destination's current passive ejection began.</summary>
        public int PassesWhileEjected;

        /// <summary>Written by the monitor, read by the admin API: a reference swap, so a reader sees one whole result.</summary>
        public volatile ProbeResult? Last;
    }
}
