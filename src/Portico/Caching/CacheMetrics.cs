using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Caching;

/// <summary>Meter "Portico.Caching": lookups by outcome and route, evictions, and what the store holds.</summary>
internal sealed class CacheMetrics
{
    public const string MeterName = "Portico.Caching";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _evictions;

    public CacheMetrics(IMeterFactory factory, IServiceProvider services)
    {
        var meter = factory.Create(MeterName);
        _requests = meter.CreateCounter<long>("portico.cache.requests", "{request}", "Requests on cached routes, by route and outcome (hit, stale, miss, revalidated, collapsed, bypass)");
        _evictions = meter.CreateCounter<long>("portico.cache.evictions", "{entry}", "Stored responses evicted to stay within cache.maxSize");
        meter.CreateObservableGauge("portico.cache.size", () => services.GetRequiredService<ICacheStore>().Usage.Bytes, "By", "Bytes held by the cache store");
        meter.CreateObservableGauge("portico.cache.entries", () => services.GetRequiredService<ICacheStore>().Usage.Entries, "{entry}", "Stored responses (variants) held by the cache store");
    }

    public void Request(string route, CacheOutcome outcome)
        => _requests.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("outcome", CacheOutcomes.Name(outcome)));

    public void Evicted(int entries) => _evictions.Add(entries);
}

/// <summary>What the cache did for a request; feeds the metric and the access log's `cache` field.</summary>
internal enum CacheOutcome
{
    Hit,
    Stale,
    Miss,
    Revalidated,
    Collapsed,
    Bypass,
}

internal static class CacheOutcomes
{
    public static string Name(CacheOutcome outcome) => outcome switch
    {
        CacheOutcome.Hit => "hit",
        CacheOutcome.Stale => "stale",
        CacheOutcome.Miss => "miss",
        CacheOutcome.Revalidated => "revalidated",
        CacheOutcome.Collapsed => "collapsed",
        _ => "bypass",
    };
}
