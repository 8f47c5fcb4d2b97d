namespace Portico.Configuration.Model;

/// <summary>
/// The `cache.shared` section: the store's shared tier in Redis, behind the local tiers, so a
/// response one instance stored is a hit on every other. On by default whenever a top-level
/// `redis` section exists; without one there is no shared tier.
/// </summary>
internal sealed record SharedCacheSettings
{
    /// <summary>`enabled`: use the shared tier when a `redis` section exists. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>`maxObjectSize`: largest body put in Redis; larger ones stay in this instance's tiers. Default 1MiB.</summary>
    public long MaxObjectSizeBytes { get; init; } = 1L << 20;

    /// <summary>
    /// `keepStale`: how long past its freshness (and its stale-while-revalidate / stale-if-error)
    /// a response with a validator stays in Redis, so another instance can revalidate it (a 304)
    /// rather than fetch it whole. Default 10m; 0 keeps nothing past those allowances.
    /// </summary>
    public TimeSpan KeepStale { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>`purgeWait`: how long a purge on the admin API waits for every live instance to confirm it. Default 2s.</summary>
    public TimeSpan PurgeWait { get; init; } = TimeSpan.FromSeconds(2);
}
