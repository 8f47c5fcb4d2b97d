using System.Diagnostics.Metrics;

namespace Portico.RateLimiting;

/// <summary>
/// Meter "Portico.RateLimiting": each decision by where it was counted (`mode`: local without
/// Redis or with `shared: false`, shared, fallback while Redis is away) and outcome, and the
/// batches of permits taken from Redis (fewer than the shared decisions: that is the batching).
/// </summary>
internal sealed class RateLimitMetrics
{
    public const string MeterName = "Portico.RateLimiting";

    private readonly Counter<long> _decisions;
    private readonly Counter<long> _batches;

    public RateLimitMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _decisions = meter.CreateCounter<long>("portico.ratelimit.decisions", "{request}", "Rate-limit decisions, by mode (local, shared, fallback) and outcome (allowed, limited)");
        _batches = meter.CreateCounter<long>("portico.ratelimit.redis.batches", "{batch}", "Batches of permits asked of Redis by the shared rate limits");
    }

    public void Decided(string mode, bool allowed)
        => _decisions.Add(1, new KeyValuePair<string, object?>("mode", mode), new KeyValuePair<string, object?>("outcome", allowed ? "allowed" : "limited"));

    public void Batch() => _batches.Add(1);
}
