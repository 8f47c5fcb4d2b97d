namespace Portico.Observability;

/// <summary>
/// What a route's cache did since start, by the outcome the cache stage wrote on the request
/// (<see cref="RequestExchange.Cache"/>): `hits` (fresh), `stale` (served stale), `misses`,
/// `revalidated` (stored response validated with the origin), `collapsed` (shared another
/// request's response), `bypass` (not cacheable: method, upgrade, no-store…); `bytesServed`, the
/// body bytes hits and stale answers sent; `hitRatio`, hits and stale over every lookup but the
/// bypasses (null before one).
/// </summary>
internal sealed record CacheCounts(long Hits, long Stale, long Misses, long Revalidated, long Collapsed, long Bypass, long BytesServed, double? HitRatio)
{
    public const int Outcomes = 6;
    /// <summary>Outcomes up to this index (hit, stale) were answered from the store.</summary>
    public const int LastServed = 1;

    /// <summary>The index of an outcome name (the cache stage's CacheOutcomes names); anything else counts as a bypass.</summary>
    public static int IndexOf(string outcome) => outcome switch
    {
        "hit" => 0,
        "stale" => 1,
        "miss" => 2,
        "revalidated" => 3,
        "collapsed" => 4,
        _ => 5,
    };

    /// <summary>The counts read from <paramref name="counts"/> (indexed as <see cref="IndexOf"/>); null when all are zero.</summary>
    public static CacheCounts? From(long[] counts, long bytesServed)
    {
        var read = counts.Select((_, i) => Interlocked.Read(ref counts[i])).ToArray();
        if (read.All(n => n == 0))
        {
            return null;
        }

        var lookups = read[0] + read[1] + read[2] + read[3] + read[4];
        return new CacheCounts(read[0], read[1], read[2], read[3], read[4], read[5], bytesServed, lookups == 0 ? null : Math.Round((read[0] + read[1]) / (double)lookups, 4));
    }

    /// <summary>The sum of several routes' counts (the cache panel's totals); null when none has any.</summary>
    public static CacheCounts? Sum(IEnumerable<CacheCounts?> all)
    {
        long[] sum = new long[Outcomes];
        long bytes = 0;
        foreach (var c in all.OfType<CacheCounts>())
        {
            sum[0] += c.Hits;
            sum[1] += c.Stale;
            sum[2] += c.Misses;
            sum[3] += c.Revalidated;
            sum[4] += c.Collapsed;
            sum[5] += c.Bypass;
            bytes += c.BytesServed;
        }

        return From(sum, bytes);
    }
}
