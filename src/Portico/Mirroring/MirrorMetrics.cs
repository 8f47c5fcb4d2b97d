using System.Diagnostics.Metrics;

namespace Portico.Mirroring;

/// <summary>Meter "Portico.Mirror": copies the shadow answered (by status class), how long they took, and the copies dropped, by reason; the copies pending.</summary>
internal sealed class MirrorMetrics
{
    public const string MeterName = "Portico.Mirror";

    private static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    // The shadow's answer is timed from sending the copy to the end of its body; copies wait at
    // most their `timeout` (5 s by default), so the buckets stop there with a catch-all above.
    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _mirrored;
    private readonly Counter<long> _dropped;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _pending;

    public MirrorMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _mirrored = meter.CreateCounter<long>("portico.mirror.requests", "{request}", "Copies of requests the shadow cluster answered in full, by route, cluster and status class");
        _dropped = meter.CreateCounter<long>("portico.mirror.dropped", "{request}", "Sampled requests whose copy did not reach the shadow in full, by route and reason");
        _pending = meter.CreateUpDownCounter<long>("portico.mirror.pending", "{request}", "Copies waiting for a slot or in flight to the shadow, by route");
        _duration = meter.CreateHistogram("portico.mirror.duration", "s", "Time from sending a copy to the end of the shadow's answer", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
    }

    public void Mirrored(string route, string cluster, int status, double seconds)
    {
        var statusClass = new KeyValuePair<string, object?>("status_class", StatusClasses[Math.Clamp(status / 100, 1, 5) - 1]);
        _mirrored.Add(1, new("route", route), new("cluster", cluster), statusClass);
        _duration.Record(seconds, new("route", route), new("cluster", cluster));
    }

    /// <summary>A copy took (+1) or gave back (-1) its place in the route's queue.</summary>
    public void Pending(string route, int change) => _pending.Add(change, new KeyValuePair<string, object?>("route", route));

    public void Dropped(string route, MirrorDrop reason)
        => _dropped.Add(1, new("route", route), new("reason", MirrorDropNames.Of(reason)));
}
