using System.Collections.Concurrent;

namespace Portico.Observability;

/// <summary>
/// In-memory statistics for the dashboard: the last five minutes in one-second buckets
/// (requests, status classes, a latency histogram for percentiles, local answers by reason),
/// and totals per route and per cluster since start (status classes, latency histogram). Bounded memory whatever the traffic.
/// </summary>
internal sealed class TrafficStats(TimeProvider time)
{
    public const int Seconds = 300;

    // Log-spaced upper bounds from 0.1 ms growing 25% a step, past 60 s.
    internal static readonly double[] Bounds = Enumerable.Range(0, 62).Select(i => 0.0001 * Math.Pow(1.25, i)).ToArray();

    private readonly Bucket[] _buckets = Enumerable.Range(0, Seconds).Select(_ => new Bucket()).ToArray();
    private readonly ConcurrentDictionary<string, Totals> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Totals> _clusters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _reasons = new(StringComparer.Ordinal);

    /// <summary>The totals of one route and its cluster, for callers that keep them (the fast path keeps them per route).</summary>
    public RouteTotals TotalsOf(string route, string cluster) => new(RouteTotal(route), ClusterTotal(cluster));

    public void Record(RequestExchange exchange, int status, double seconds)
    {
        RecordSecondAndReason(exchange, status, seconds);
        if (exchange.Route is { } route)
        {
            RouteTotal(route).Add(status, seconds);
        }

        if (exchange.Cluster is { } cluster)
        {
            ClusterTotal(cluster).Add(status, seconds);
        }
    }

    /// <summary>As <see cref="Record(RequestExchange, int, double)"/>, with the totals of the exchange's route and cluster (<see cref="TotalsOf"/>).</summary>
    public void Record(RouteTotals totals, RequestExchange exchange, int status, double seconds)
    {
        RecordSecondAndReason(exchange, status, seconds);
        totals.Route.Add(status, seconds);
        totals.Cluster.Add(status, seconds);
    }

    private Totals RouteTotal(string route) => _routes.GetOrAdd(route, _ => new Totals());

    private Totals ClusterTotal(string cluster) => _clusters.GetOrAdd(cluster, _ => new Totals());

    /// <summary>What every request adds whatever its route: this second's counts, and the local answer's reason.</summary>
    private void RecordSecondAndReason(RequestExchange exchange, int status, double seconds)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        var bucket = _buckets[second % Seconds];
        lock (bucket.Gate)
        {
            if (bucket.Second != second)
            {
                bucket.Reset(second);
            }

            bucket.Requests++;
            bucket.Status[PorticoMetrics.StatusClassIndex(status)]++;
            bucket.Latency[LatencyIndex(seconds)]++;
            if (exchange.Reason is not null)
            {
                bucket.Local++;
            }
        }

        if (exchange.Reason is { } reason)
        {
            _reasons.AddOrUpdate(LocalReasonNames.Of(reason), 1, (_, n) => n + 1);
        }
    }

    /// <summary>One point per second for the last <paramref name="count"/> complete seconds, oldest first.</summary>
    public IReadOnlyList<SecondPoint> Series(int count)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var points = new List<SecondPoint>(count);
        for (var second = now - count; second < now; second++)
        {
            var bucket = _buckets[second % Seconds];
            lock (bucket.Gate)
            {
                points.Add(bucket.Second == second ? bucket.ToPoint() : SecondPoint.Empty(second));
            }
        }

        return points;
    }

    public IReadOnlyDictionary<string, TotalsView> Routes => _routes.ToDictionary(p => p.Key, p => p.Value.View());

    public IReadOnlyDictionary<string, TotalsView> Clusters => _clusters.ToDictionary(p => p.Key, p => p.Value.View());

    public IReadOnlyDictionary<string, long> LocalReasons => new Dictionary<string, long>(_reasons);

    /// <summary>
    /// Percentile <paramref name="p"/> of a histogram on <see cref="Bounds"/>, in seconds: the upper
    /// bound of the bucket it falls in (at most 25% above the true value); null when it is empty.
    /// Reads each bucket once without a lock: a request counted meanwhile moves it by one at most.
    /// </summary>
    internal static double? Percentile(long[] histogram, double p)
    {
        long total = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            total += Volatile.Read(ref histogram[i]);
        }

        if (total == 0)
        {
            return null;
        }

        var target = (long)Math.Ceiling(p * total);
        long seen = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            seen += Volatile.Read(ref histogram[i]);
            if (seen >= target)
            {
                return Bounds[i];
            }
        }

        return Bounds[^1];
    }

    internal static int LatencyIndex(double seconds)
    {
        var index = Array.BinarySearch(Bounds, seconds);
        return Math.Min(index < 0 ? ~index : index, Bounds.Length - 1);
    }

    private sealed class Bucket
    {
        public readonly Lock Gate = new();
        public long Second = -1;
        public long Requests;
        public long Local;
        public readonly long[] Status = new long[5];
        public readonly long[] Latency = new long[Bounds.Length];

        public void Reset(long second)
        {
            Second = second;
            Requests = 0;
            Local = 0;
            Array.Clear(Status);
            Array.Clear(Latency);
        }

        public SecondPoint ToPoint() => new(Second, Requests, [.. Status], Local, Percentile(0.5), Percentile(0.95), Percentile(0.99));


        private double? Percentile(double p) => TrafficStats.Percentile(Latency, p);
    }

    /// <summary>A route's totals and its cluster's.</summary>
    internal readonly record struct RouteTotals(Totals Route, Totals Cluster);

    internal sealed class Totals
    {
        private long _requests;
        private long _errors;
        private long _microseconds;
        private readonly long[] _status = new long[5];
        private readonly long[] _latency = new long[Bounds.Length];

        public void Add(int status, double seconds)
        {
            Interlocked.Increment(ref _requests);
            if (status >= 500)
            {
                Interlocked.Increment(ref _errors);
            }

            Interlocked.Add(ref _microseconds, (long)(seconds * 1_000_000));
            Interlocked.Increment(ref _status[PorticoMetrics.StatusClassIndex(status)]);
            Interlocked.Increment(ref _latency[LatencyIndex(seconds)]);
        }

        public TotalsView View()
        {
            var requests = Interlocked.Read(ref _requests);
            return new TotalsView(
                requests,
                Interlocked.Read(ref _errors),
                requests == 0 ? 0 : Interlocked.Read(ref _microseconds) / 1000.0 / requests,
                [.. _status.Select(n => Volatile.Read(ref n))],
                Ms(Percentile(_latency, 0.5)),
                Ms(Percentile(_latency, 0.95)),
                Ms(Percentile(_latency, 0.99)));
        }

        private static double? Ms(double? seconds) => seconds * 1000;
    }
}

/// <summary>One second of traffic. Latencies in seconds (upper bound of the histogram bucket); null with no requests.</summary>
internal sealed record SecondPoint(long Second, long Requests, long[] Status, long Local, double? P50, double? P95, double? P99)
{
    public static SecondPoint Empty(long second) => new(second, 0, new long[5], 0, null, null, null);
}

/// <summary>
/// Totals since start for a route or cluster: requests, 5xx, status classes (1xx to 5xx), and
/// latency in milliseconds: the mean and the p50/p95/p99 (upper bounds of histogram buckets, null
/// with no requests).
/// </summary>
internal sealed record TotalsView(long Requests, long Errors5xx, double MeanMs, long[] Status, double? P50Ms, double? P95Ms, double? P99Ms);
