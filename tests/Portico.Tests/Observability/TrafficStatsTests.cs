using Microsoft.Extensions.Time.Testing;
using Portico.Observability;

namespace Portico.Tests.Observability;

/// <summary>
/// The dashboard's statistics: the hour's history by minute (seconds folded into their minute when
/// their bucket is reused, never counted twice), and a route's totals by what its stages did.
/// </summary>
public sealed class TrafficStatsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));

    private static RequestExchange Exchange(string route = "r", string? cache = null, LocalReason? reason = null)
        => new() { StartTimestamp = 0, RequestId = "id", Route = route, Cluster = "c", Cache = cache, Reason = reason, ResponseBytes = 10 };

    [Fact]
    public void The_hour_keeps_each_minute_once_whether_its_seconds_are_folded_or_still_in_their_buckets()
    {
        var stats = new TrafficStats(_time);
        stats.Record(Exchange(), 200, 0.001);
        stats.Record(Exchange(), 503, 0.002);
        _time.Advance(TimeSpan.FromSeconds(30));
        stats.Record(Exchange(), 200, 0.001);

        // Ten minutes on: the seconds' buckets were not reused (no traffic since), so they still hold them.
        _time.Advance(TimeSpan.FromMinutes(10));
        var history = stats.History(TrafficStats.Minutes);
        Assert.Equal(TrafficStats.Minutes, history.Count);
        Assert.Equal(3, history.Sum(m => m.Requests));
        var first = history[^11];
        Assert.Equal(3, first.Requests);
        Assert.Equal(new long[] { 0, 2, 0, 0, 1 }, first.Status);
        Assert.Equal(60, first.Seconds);

        // Traffic a multiple of 300 s after each of those seconds reuses their buckets: folded into the minute, counted once.
        _time.Advance(TimeSpan.FromSeconds(270));
        stats.Record(Exchange(), 200, 0.001);
        _time.Advance(TimeSpan.FromSeconds(30));
        stats.Record(Exchange(), 200, 0.001);
        history = stats.History(TrafficStats.Minutes);
        Assert.Equal(5, history.Sum(m => m.Requests));
        Assert.Equal(3, history.Single(m => m.Start == first.Start).Requests);
    }

    [Fact]
    public void A_minute_older_than_the_hour_is_dropped_and_the_minute_under_way_says_how_much_of_it_passed()
    {
        var stats = new TrafficStats(_time);
        stats.Record(Exchange(), 200, 0.001);
        _time.Advance(TimeSpan.FromMinutes(TrafficStats.Minutes) + TimeSpan.FromSeconds(15));
        stats.Record(Exchange(), 200, 0.001);

        var history = stats.History(TrafficStats.Minutes);
        Assert.Equal(1, history.Sum(m => m.Requests));
        Assert.Equal(16, history[^1].Seconds);
        Assert.Equal(1, history[^1].Requests);
    }

    [Fact]
    public void A_route_counts_cache_outcomes_with_the_bytes_served_and_its_waf_and_rate_limit_refusals()
    {
        var stats = new TrafficStats(_time);
        stats.Record(Exchange(cache: "hit"), 200, 0.001);
        stats.Record(Exchange(cache: "hit"), 200, 0.001);
        stats.Record(Exchange(cache: "stale"), 200, 0.001);
        stats.Record(Exchange(cache: "miss"), 200, 0.001);
        stats.Record(Exchange(cache: "bypass"), 200, 0.001);
        stats.Record(Exchange(route: "w", reason: LocalReason.WafBlocked), 403, 0.001);
        stats.Record(Exchange(route: "w", reason: LocalReason.RateLimited), 429, 0.001);

        var cache = stats.Routes["r"].Cache!;
        Assert.Equal((2, 1, 1, 1), (cache.Hits, cache.Stale, cache.Misses, cache.Bypass));
        Assert.Equal(30, cache.BytesServed);
        Assert.Equal(0.75, cache.HitRatio);
        Assert.Equal(new Refusals(0, 0), stats.Routes["r"].Refusals);
        Assert.Null(stats.Routes["w"].Cache);
        Assert.Equal(new Refusals(1, 1), stats.Routes["w"].Refusals);
        Assert.Null(stats.Clusters["c"].Refusals);
    }
}
