using System.Collections.Concurrent;
using System.Text.Json.Serialization;

namespace Portico.Observability;

/// <summary>
/// In-memory statistics for the dashboard: the last five minutes in one-second buckets
/// (requests, status classes, a latency histogram for percentiles, local answers by reason), the
/// last hour in one-minute buckets, and totals per route and per cluster since start (status
/// classes, latency histogram; per route also cache outcomes and WAF and rate-limit refusals).
/// Bounded memory whatever the traffic.
/// </summary>
internal sealed class TrafficStats(TimeProvider time)
{
    public const int Seconds = 300;

    /// <summary>How many minutes the history keeps.</summary>
    public const int Minutes = 60;

    // Log-spaced upper bounds from 0.1 ms growing 25% a step, past 60 s.
    internal static readonly double[] Bounds = Enumerable.Range(0, 62).Select(i => 0.0001 * Math.Pow(1.25, i)).ToArray();

    private readonly StatsBucket[] _buckets = Enumerable.Range(0, Seconds).Select(_ => new StatsBucket()).ToArray();

    // A second's bucket is folded into its minute here when the bucket is taken for a new second
    // (so once a second at most, never per request); a second not yet folded is read from its bucket.
    private readonly StatsBucket[] _minutes = Enumerable.Range(0, Minutes).Select(_ => new StatsBucket()).ToArray();
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
            var totals = RouteTotal(route);
            totals.Add(status, seconds);
            totals.Count(exchange);
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
        totals.Route.Count(exchange);
        totals.Cluster.Add(status, seconds);
    }

    private Totals RouteTotal(string route) => _routes.GetOrAdd(route, _ => new Totals(route: true));

    private Totals ClusterTotal(string cluster) => _clusters.GetOrAdd(cluster, _ => new Totals(route: false));

    /// <summary>What every request adds whatever its route: this second's counts, and the local answer's reason.</summary>
    private void RecordSecondAndReason(RequestExchange exchange, int status, double seconds)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        var bucket = _buckets[second % Seconds];
        lock (bucket.Gate)
        {
            if (bucket.Second != second)
            {
                Fold(bucket);
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

    /// <summary>Adds a second about to be reused to its minute; under the second's lock, so it is counted there or here, not both.</summary>
    private void Fold(StatsBucket second)
    {
        if (second.Second < 0 || second.Requests == 0)
        {
            return;
        }

        var start = second.Second - (second.Second % 60);
        var minute = _minutes[start / 60 % Minutes];
        lock (minute.Gate)
        {
            if (minute.Second < start)
            {
                minute.Reset(start);
            }

            // A minute already reused for a later one is over an hour old: dropped.
            if (minute.Second == start)
            {
                second.AddTo(minute);
            }
        }
    }

    /// <summary>
    /// One point per minute for the last <paramref name="count"/> minutes, oldest first, the last
    /// one the minute under way. Each minute is its folded seconds and those still in their buckets,
    /// each read under its own lock: a second folded between the two reads is missed by that one
    /// read, never counted twice.
    /// </summary>
    public IReadOnlyList<MinutePoint> History(int count)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var current = now - (now % 60);
        var points = new List<MinutePoint>(count);
        for (var start = current - ((count - 1) * 60L); start <= current; start += 60)
        {
            var sum = new StatsBucket();
            sum.Reset(start);
            var minute = _minutes[start / 60 % Minutes];
            lock (minute.Gate)
            {
                if (minute.Second == start)
                {
                    minute.AddTo(sum);
                }
            }

            for (var second = start; second < start + 60 && second <= now; second++)
            {
                var bucket = _buckets[second % Seconds];
                lock (bucket.Gate)
                {
                    if (bucket.Second == second)
                    {
                        bucket.AddTo(sum);
                    }
                }
            }

            points.Add(sum.ToMinute((int)Math.Min(60, now - start + 1)));
        }

        return points;
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

    /// <summary>A route's totals and its cluster's.</summary>
    internal readonly record struct RouteTotals(Totals Route, Totals Cluster);

    /// <param name="route">A route's totals (which count refusals), not a cluster's.</param>
    internal sealed class Totals(bool route)
    {
        private readonly long[] _cache = new long[CacheCounts.Outcomes];
        private long _cacheBytes;
        private long _waf;
        private long _rateLimited;
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

        /// <summary>
        /// A route's request by what its stages did: the cache's outcome (with the body bytes a hit
        /// or stale answer sent), a WAF or rate-limit refusal. Two null checks on a request that
        /// met neither.
        /// </summary>
        public void Count(RequestExchange exchange)
        {
            if (exchange.Cache is { } cache)
            {
                var outcome = CacheCounts.IndexOf(cache);
                Interlocked.Increment(ref _cache[outcome]);
                if (outcome <= CacheCounts.LastServed)
                {
                    Interlocked.Add(ref _cacheBytes, exchange.BytesOut);
                }
            }

            if (exchange.Reason is LocalReason.WafBlocked)
            {
                Interlocked.Increment(ref _waf);
            }
            else if (exchange.Reason is LocalReason.RateLimited)
            {
                Interlocked.Increment(ref _rateLimited);
            }
        }

        public TotalsView View()
        {
            var requests = Interlocked.Read(ref _requests);
            var cache = CacheCounts.From(_cache, Interlocked.Read(ref _cacheBytes));
            return new TotalsView(
                requests,
                Interlocked.Read(ref _errors),
                requests == 0 ? 0 : Interlocked.Read(ref _microseconds) / 1000.0 / requests,
                [.. _status.Select(n => Volatile.Read(ref n))],
                Ms(Percentile(_latency, 0.5)),
                Ms(Percentile(_latency, 0.95)),
                Ms(Percentile(_latency, 0.99)),
                cache,
                route ? new Refusals(Interlocked.Read(ref _waf), Interlocked.Read(ref _rateLimited)) : null);
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
/// with no requests). A route's also say what its cache did (null before its first lookup) and
/// how many requests its WAF and rate limit refused (null for a cluster).
/// </summary>
internal sealed record TotalsView(
    long Requests,
    long Errors5xx,
    double MeanMs,
    long[] Status,
    double? P50Ms,
    double? P95Ms,
    double? P99Ms,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CacheCounts? Cache,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Refusals? Refusals);

/// <summary>Requests a route's WAF (in block mode) and its rate limit refused, since start.</summary>
internal sealed record Refusals(long Waf, long RateLimit);
