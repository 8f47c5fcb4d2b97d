using Portico.Configuration.Model;

namespace Portico.Health;

/// <summary>
/// One destination's recent outcomes: a run of consecutive failures, and counts in ten time
/// buckets spanning the configured window (bounded memory whatever the request rate).
/// </summary>
internal sealed class FailureWindow
{
    private const int Buckets = 10;

    private readonly long[] _bucketStart = new long[Buckets];
    private readonly int[] _total = new int[Buckets];
    private readonly int[] _failed = new int[Buckets];
    private readonly Lock _gate = new();
    private int _consecutive;

    /// <summary>Records one outcome; returns why the destination should be ejected, or null.</summary>
    public string? Record(bool failed, long now, TimeProvider time, PassiveHealthSettings settings)
    {
        lock (_gate)
        {
            var bucketTicks = Math.Max(1, (long)(settings.Window.TotalSeconds * time.TimestampFrequency / Buckets));
            var slot = (int)(now / bucketTicks % Buckets);
            var start = now / bucketTicks * bucketTicks;
            if (_bucketStart[slot] != start)
            {
                (_bucketStart[slot], _total[slot], _failed[slot]) = (start, 0, 0);
            }

            _total[slot]++;
            _consecutive = failed ? _consecutive + 1 : 0;
            if (failed)
            {
                _failed[slot]++;
            }

            if (settings.ConsecutiveFailures > 0 && _consecutive >= settings.ConsecutiveFailures)
            {
                var reason = $"{_consecutive} consecutive failures";
                Reset();
                return reason;
            }

            if (settings.FailureRate is { } rate && failed)
            {
                long total = 0, failures = 0;
                var oldest = start - (bucketTicks * (Buckets - 1));
                for (var i = 0; i < Buckets; i++)
                {
                    if (_bucketStart[i] >= oldest)
                    {
                        total += _total[i];
                        failures += _failed[i];
                    }
                }

                if (total >= settings.MinimumRequests && (double)failures / total >= rate)
                {
                    var reason = $"{failures} of {total} requests failed within {Configuration.Duration.Format(settings.Window)}";
                    Reset();
                    return reason;
                }
            }

            return null;
        }
    }

    private void Reset()
    {
        _consecutive = 0;
        Array.Clear(_total);
        Array.Clear(_failed);
    }
}
