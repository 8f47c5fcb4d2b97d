namespace Portico.Observability;

/// <summary>
/// One destination's observed exchanges since start: counts by outcome, retries, bytes, a latency
/// histogram on <see cref="TrafficStats.Bounds"/>, and the outcomes of its last 64 exchanges as
/// bits (1 = failed) for the state the admin API derives. Fixed size, updated with interlocked
/// operations only: no lock and no allocation per request.
/// </summary>
internal sealed class DestinationTally
{
    private const int Recent = 64;

    private readonly long[] _outcomes = new long[Enum.GetValues<DestinationOutcome>().Length];
    private readonly long[] _latency = new long[TrafficStats.Bounds.Length];
    private long _retries;
    private long _bytesIn;
    private long _bytesOut;
    private long _recentBits;
    private long _lastFailure = long.MinValue;
    private readonly Lock _stateGate = new();
    private string? _state;
    private DateTimeOffset _stateSince;
    private bool _stateDown;
    private TimeSpan _downtime;

    public void Add(DestinationOutcome outcome, double seconds, long bytesIn, long bytesOut, bool retried, long timestamp)
    {
        Interlocked.Increment(ref _outcomes[(int)outcome]);
        Interlocked.Increment(ref _latency[TrafficStats.LatencyIndex(seconds)]);
        if (retried)
        {
            Interlocked.Increment(ref _retries);
        }

        Interlocked.Add(ref _bytesIn, bytesIn);
        Interlocked.Add(ref _bytesOut, bytesOut);
        var failed = outcome != DestinationOutcome.Answered;
        long before, after;
        do
        {
            before = Interlocked.Read(ref _recentBits);
            after = (before << 1) | (failed ? 1L : 0L);
        }
        while (Interlocked.CompareExchange(ref _recentBits, after, before) != before);

        if (failed)
        {
            Volatile.Write(ref _lastFailure, timestamp);
        }
    }

    public long Count(DestinationOutcome outcome) => Interlocked.Read(ref _outcomes[(int)outcome]);

    public long Requests
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _outcomes.Length; i++)
            {
                sum += Interlocked.Read(ref _outcomes[i]);
            }

            return sum;
        }
    }

    public long Retries => Interlocked.Read(ref _retries);

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>The timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last failed exchange; <see cref="long.MinValue"/> without one.</summary>
    public long LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Of the last min(requests, 64) exchanges, how many failed, and how many there were.</summary>
    public (int Failed, int Of) RecentFailures()
    {
        var of = (int)Math.Min(Requests, Recent);
        var bits = (ulong)Interlocked.Read(ref _recentBits);
        var mask = of == Recent ? ulong.MaxValue : (1UL << of) - 1;
        return (System.Numerics.BitOperations.PopCount(bits & mask), of);
    }

    /// <summary>Latency percentile <paramref name="p"/> in seconds (the upper bound of its histogram bucket); null with no exchanges.</summary>
    public double? Percentile(double p) => TrafficStats.Percentile(_latency, p);

    /// <summary>
    /// Notes the state a reader derived now and returns when it last changed, and the destination's
    /// downtime: the time spent in a state <paramref name="isDown"/> says is not up, up to now. The
    /// state mixes probes, passive ejection, drains and outcomes, so it is derived where it is read
    /// (the admin API, once a second while a dashboard is open) and its change is seen there: both
    /// figures are as exact as the reads are frequent.
    /// </summary>
    public (DateTimeOffset Since, TimeSpan Downtime) StateSince(string state, bool isDown, DateTimeOffset now)
    {
        lock (_stateGate)
        {
            if (!string.Equals(_state, state, StringComparison.Ordinal))
            {
                if (_stateDown)
                {
                    _downtime += now - _stateSince;
                }

                _state = state;
                _stateDown = isDown;
                _stateSince = now;
            }

            return (_stateSince, _stateDown ? _downtime + (now - _stateSince) : _downtime);
        }
    }
}
