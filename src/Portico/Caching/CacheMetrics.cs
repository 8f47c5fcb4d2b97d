using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Caching;

/// <summary>Meter "Portico.Caching": lookups by outcome and route, what each tier of the store holds, finds and evicts, disk tier errors, and purges by kind; beside it the URLs served most from the store.</summary>
internal sealed class CacheMetrics
{
    public const string MeterName = "Portico.Caching";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _evictions;
    private readonly Counter<long> _tierHits;
    private readonly Counter<long> _diskErrors;
    private readonly Counter<long> _purges;
    private readonly Counter<long> _purged;
    private readonly Counter<long> _sharedLookups;
    private readonly Counter<long> _sharedStores;
    private readonly Counter<long> _sharedBytes;

    public CacheMetrics(IMeterFactory factory, IServiceProvider services)
    {
        var meter = factory.Create(MeterName);
        _requests = meter.CreateCounter<long>("portico.cache.requests", "{request}", "Requests on cached routes, by route and outcome (hit, stale, miss, revalidated, collapsed, bypass)");
        _evictions = meter.CreateCounter<long>("portico.cache.evictions", "{entry}", "Stored responses evicted from a tier (tier) to stay within its maxSize");
        _tierHits = meter.CreateCounter<long>("portico.cache.tier_hits", "{lookup}", "Lookups that found stored responses for the URL, by the tier (tier) that had them: memory, or disk when it had variants memory did not");
        _diskErrors = meter.CreateCounter<long>("portico.cache.disk_errors", "{error}", "Disk tier failures by operation: write (a file not written), read (a file not readable), damaged (a file found cut short or not matching its checksums, deleted)");
        _purges = meter.CreateCounter<long>("portico.cache.purges", "{request}", "Purge requests on the admin API, by kind (url, prefix, tag, soft_tag)");
        _purged = meter.CreateCounter<long>("portico.cache.purged", "{entry}", "Stored responses removed (or, by soft_tag, marked stale) by purges, by kind");
        _sharedLookups = meter.CreateCounter<long>("portico.cache.shared.lookups", "{lookup}", "Lookups in the shared (Redis) tier, by outcome: hit (it had variants this instance did not), miss, error (Redis unavailable or failing: the lookup is a miss)");
        _sharedStores = meter.CreateCounter<long>("portico.cache.shared.stores", "{entry}", "Stored responses offered to the shared tier, by outcome: stored, local (kept in this instance only: body above cache.shared.maxObjectSize, not in memory, no time left to keep, or a part where Redis holds the complete response), error");
        _sharedBytes = meter.CreateCounter<long>("portico.cache.shared.bytes", "By", "Bytes of stored responses moved to and from the shared tier, by direction (read, written)");
        meter.CreateObservableGauge("portico.cache.size", () => Tiers(services, t => t.Bytes), "By", "Bytes held by each tier (tier) of the cache store");
        meter.CreateObservableGauge("portico.cache.entries", () => Tiers(services, t => t.Entries), "{entry}", "Stored responses (variants) held by each tier (tier) of the cache store");
    }

    /// <summary>The URLs answered most often from the store (the admin API's cache panel).</summary>
    public CacheTopUrls TopUrls { get; } = new();

    public void Request(string route, CacheOutcome outcome)
        => _requests.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("outcome", CacheOutcomes.Name(outcome)));

    /// <summary>A request answered from the store (a hit, or stale) for <paramref name="url"/>, its primary key.</summary>
    public void Served(string route, CacheOutcome outcome, string url)
    {
        Request(route, outcome);
        TopUrls.Hit(url);
    }

    public void Evicted(int entries, string tier) => _evictions.Add(entries, new KeyValuePair<string, object?>("tier", tier));

    public void TierHit(string tier) => _tierHits.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void DiskError(string operation) => _diskErrors.Add(1, new KeyValuePair<string, object?>("operation", operation));

    /// <param name="outcome">hit, miss or error.</param>
    public void SharedLookup(string outcome, long bytes)
    {
        _sharedLookups.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (bytes > 0)
        {
            _sharedBytes.Add(bytes, new KeyValuePair<string, object?>("direction", "read"));
        }
    }

    /// <param name="outcome">stored, local or error.</param>
    public void SharedStore(string outcome, long bytes)
    {
        _sharedStores.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (outcome == "stored")
        {
            _sharedBytes.Add(bytes, new KeyValuePair<string, object?>("direction", "written"));
        }
    }

    /// <param name="kind">url, prefix, tag or soft_tag.</param>
    public void Purged(string kind, int entries)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _purges.Add(1, tag);
        _purged.Add(entries, tag);
    }

    private static IEnumerable<Measurement<long>> Tiers(IServiceProvider services, Func<(string Tier, long Entries, long Bytes), long> value)
        => services.GetRequiredService<ICacheStore>().Tiers.Select(t => new Measurement<long>(value(t), new KeyValuePair<string, object?>("tier", t.Tier)));
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
