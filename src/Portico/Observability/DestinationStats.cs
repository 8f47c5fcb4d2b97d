using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Model;

namespace Portico.Observability;

/// <summary>
/// What each destination did with the exchanges sent to it, on both paths, whether or not its
/// cluster has health checks: the admin API and the dashboard derive a destination's state from
/// these outcomes as well as from probes, so a destination that fails every request is shown
/// failing even where nothing ejects it. One <see cref="DestinationTally"/> per destination,
/// found through a <see cref="ConditionalWeakTable{TKey, TValue}"/> (a lock-free read) and gone
/// with the destination when a reload removes it.
/// </summary>
internal sealed class DestinationStats(TimeProvider time)
{
    private readonly ConditionalWeakTable<DestinationState, DestinationTally> _tallies = new();

    /// <summary>One attempt on <paramref name="destination"/> ended with <paramref name="outcome"/> after <paramref name="seconds"/>; <paramref name="retried"/> when another attempt followed it.</summary>
    public void Record(DestinationState destination, DestinationOutcome outcome, double seconds, long bytesIn, long bytesOut, bool retried)
    {
        if (!_tallies.TryGetValue(destination, out var tally))
        {
            tally = _tallies.GetOrCreateValue(destination);
        }

        tally.Add(outcome, seconds, bytesIn, bytesOut, retried, time.GetTimestamp());
    }

    /// <summary>The destination's tally (empty when no exchange was sent to it yet).</summary>
    public DestinationTally Of(DestinationState destination) => _tallies.GetOrCreateValue(destination);
}
