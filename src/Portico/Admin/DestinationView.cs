using Portico.Configuration;
using Portico.Health;
using Portico.Observability;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Portico.Admin;

/// <summary>
/// One destination as the admin API and the dashboard show it: its state, derived from drains,
/// probes, passive ejection and the outcomes of its recent exchanges, how long it has been down or
/// failing in all (a drain is the operator's doing, not downtime), and what it did since start
/// (<see cref="DestinationTally"/>).
/// </summary>
internal sealed class DestinationView(ActiveConfig active, DrainRegistry drains, DestinationStats stats, ThresholdActiveHealthPolicy? probes, TimeProvider time)
{
    /// <summary>"failing" needs at least this many of the last 64 exchanges...</summary>
    public const int FailingMinimum = 5;

    /// <summary>...at least this share of them failed...</summary>
    public const double FailingRatio = 0.5;

    /// <summary>...and the last failure this recent: without it a destination that failed once and then got no traffic would read failing forever.</summary>
    public static readonly TimeSpan FailingWithin = TimeSpan.FromSeconds(30);

    public object Of(ClusterState cluster, DestinationState d)
    {
        var tally = stats.Of(d);
        var (failed, of) = tally.RecentFailures();
        var state = State(cluster, d, tally, failed, of);
        var now = time.GetUtcNow();
        var probe = probes?.LastProbe(d);
        var (since, downtime) = tally.StateSince(state, state is "down" or "failing", now);
        return new
        {
            name = d.DestinationId,
            address = d.Model.Config.Address,
            state,
            since,
            downtimeSeconds = downtime.TotalSeconds,
            activeHealth = d.Health.Active.ToString().ToLowerInvariant(),
            passiveHealth = d.Health.Passive.ToString().ToLowerInvariant(),
            drained = drains.IsDrained(d),
            inFlight = d.ConcurrentRequestCount,
            weight = active.Current.Cluster(cluster.ClusterId)?.Settings.Destinations.FirstOrDefault(s => s.Name == d.DestinationId)?.Weight ?? 1,
            requests = tally.Requests,
            errors = new
            {
                connect = tally.Count(DestinationOutcome.Connect),
                reset = tally.Count(DestinationOutcome.Reset),
                timeout = tally.Count(DestinationOutcome.Timeout),
                status5xx = tally.Count(DestinationOutcome.ServerError),
            },
            recent = new { failed, of },
            retries = tally.Retries,
            bytesIn = tally.BytesIn,
            bytesOut = tally.BytesOut,
            latencyMs = new { p50 = Ms(tally.Percentile(0.5)), p95 = Ms(tally.Percentile(0.95)), p99 = Ms(tally.Percentile(0.99)) },
            lastCheck = probe is null ? null : new { passed = probe.Passed, result = probe.Outcome, at = probe.At, latencyMs = probe.Took?.TotalMilliseconds },
        };
    }

    /// <summary>
    /// drained (an operator's doing) before joining (a discovered destination waiting for its
    /// first active probe: sent nothing yet, but nothing found it failing, so it is neither down
    /// nor downtime) before down (YARP sends it nothing: failed probes or a passive
    /// ejection) before failing (still sent traffic, but most of its recent exchanges failed: what a
    /// cluster without health checks shows of a dead backend) before up.
    /// </summary>
    private string State(ClusterState cluster, DestinationState d, DestinationTally tally, int failed, int of)
    {
        if (drains.IsDrained(d))
        {
            return "drained";
        }

        if (!cluster.DestinationsState.AvailableDestinations.Contains(d))
        {
            return DiscoveredDestinations.Joining(cluster, d) && d.Health.Passive != DestinationHealth.Unhealthy ? "joining" : "down";
        }

        var recentFailure = tally.LastFailure != long.MinValue && time.GetElapsedTime(tally.LastFailure) <= FailingWithin;
        return of >= FailingMinimum && failed >= FailingRatio * of && recentFailure ? "failing" : "up";
    }

    private static double? Ms(double? seconds) => seconds * 1000;
}
