namespace Portico.Caching;

/// <summary>Freshness lifetime (RFC 9111 §4.2.1, §4.2.2) and current age (§4.2.3) of a stored response.</summary>
internal static class Freshness
{
    private static readonly TimeSpan HeuristicCap = TimeSpan.FromDays(1);

    // §4.2.2: status codes a cache may give a heuristic lifetime (RFC 9110 §15.1).
    private static readonly int[] HeuristicStatuses = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];

    public static bool IsHeuristicallyCacheable(int status) => HeuristicStatuses.Contains(status);

    /// <summary>
    /// How long the response is fresh for, from its own directives and fields, as a shared cache
    /// reads them; a soft-purged one only until the purge (its age then), so its staleness counts
    /// from the purge.
    /// </summary>
    public static TimeSpan Lifetime(CacheEntry entry, bool heuristic)
    {
        var own = OwnLifetime(entry, heuristic);
        return entry.StaleFrom is { } purged && Age(entry, purged) is var then && then < own ? then : own;
    }

    private static TimeSpan OwnLifetime(CacheEntry entry, bool heuristic)
    {
        var d = entry.Directives;
        if (d.InvalidFreshness)
        {
            return TimeSpan.Zero;
        }

        if (d.SharedMaxAge is { } shared)
        {
            return TimeSpan.FromSeconds(shared);
        }

        if (d.MaxAge is { } maxAge)
        {
            return TimeSpan.FromSeconds(maxAge);
        }

        if (!d.Targeted && entry.Header("Expires") is { } expires)
        {
            // §5.3: an invalid date, notably "0", means already expired.
            return HttpDates.TryParse(expires, entry.ResponseTime, out var at) ? Max(at - entry.Date, TimeSpan.Zero) : TimeSpan.Zero;
        }

        // §4.2.2: only without explicit expiration, and for a status that allows it (or `public`).
        if (heuristic && (IsHeuristicallyCacheable(entry.Status) || d.Public)
            && entry.Header("Last-Modified") is { } lm && HttpDates.TryParse(lm, entry.ResponseTime, out var modified) && modified < entry.Date)
        {
            var tenth = (entry.Date - modified) / 10;
            return tenth < HeuristicCap ? tenth : HeuristicCap;
        }

        return TimeSpan.Zero;
    }

    /// <summary>current_age of §4.2.3.</summary>
    public static TimeSpan Age(CacheEntry entry, DateTimeOffset now)
    {
        var apparent = Max(entry.ResponseTime - entry.Date, TimeSpan.Zero);
        var responseDelay = entry.ResponseTime - entry.RequestTime;
        var correctedAgeValue = TimeSpan.FromSeconds(Math.Min(entry.AgeValue, DeltaSeconds.Max)) + responseDelay;
        var correctedInitialAge = Max(apparent, correctedAgeValue);
        var resident = now - entry.ResponseTime;
        return correctedInitialAge + resident;
    }

    /// <summary>
    /// §5.2.2.2, §5.2.2.8, §5.2.2.10: must-revalidate, proxy-revalidate or s-maxage, which oblige
    /// a shared cache that cannot reach the origin to answer with an error, 504 by preference.
    /// </summary>
    public static bool MustRevalidate(CacheDirectives d) => d.MustRevalidate || d.ProxyRevalidate || d.SharedMaxAge is not null;

    /// <summary>§4.2.4 and §5.2.2.2/§5.2.2.8/§5.2.2.10: a shared cache may never serve this one stale.</summary>
    public static bool ForbidsStale(CacheDirectives d) => d.MustRevalidate || d.ProxyRevalidate || d.SharedMaxAge is not null || d.NoCache;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
