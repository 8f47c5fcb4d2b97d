namespace Portico.Caching;

/// <summary>
/// Where stored responses live. The cache logic only talks to this, so a shared store (Redis)
/// can sit beside the in-memory one and the disk tier. Keys are primary keys (<see cref="CacheKey"/>);
/// each holds the variants stored for it. An entry's body is either in memory
/// (<see cref="CacheEntry.Body"/>) or in a file (<see cref="CacheEntry.File"/>), which
/// <see cref="CacheResponder"/> streams without loading it whole.
/// </summary>
internal interface ICacheStore
{
    /// <summary>Every variant of <paramref name="key"/> this instance holds (memory, disk), most recently stored first; empty when none.</summary>
    ValueTask<IReadOnlyList<CacheEntry>> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// <paramref name="local"/> (what <see cref="GetAsync"/> found) together with the variants a
    /// shared tier holds that are not among them or were stored after them; just
    /// <paramref name="local"/> without a shared tier. Asked when nothing local answers a request
    /// fresh, so a response another instance stored is a hit here.
    /// </summary>
    ValueTask<IReadOnlyList<CacheEntry>> GetSharedAsync(string key, IReadOnlyList<CacheEntry> local, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="entry"/>, replacing the variant with the same Vary values. A spooled <see cref="CacheEntry.File"/> becomes the store's.</summary>
    ValueTask SetAsync(CacheEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Removes every variant of <paramref name="key"/>; returns how many there were. A response on
    /// its way to a request sent before <paramref name="sentBefore"/> (default: now) is not stored
    /// after it (<see cref="PurgeFence"/>).
    /// </summary>
    ValueTask<int> RemoveAsync(string key, CancellationToken cancellationToken, DateTimeOffset? sentBefore = null);

    /// <summary>Removes every variant of every key starting with <paramref name="prefix"/>; returns how many. <paramref name="sentBefore"/> as for <see cref="RemoveAsync"/>.</summary>
    ValueTask<int> RemovePrefixAsync(string prefix, CancellationToken cancellationToken, DateTimeOffset? sentBefore = null);

    /// <summary>The largest body some tier takes; a response known to be larger is not recorded.</summary>
    long MaxObjectSizeBytes { get; }

    /// <summary>
    /// A file to write a body into as it arrives, for a tier that keeps bodies in files (so one
    /// larger than the memory tier can still be stored); null when no tier does.
    /// </summary>
    DiskBodyWriter? BeginBody();

    /// <summary>Drops a stored response found damaged while it was being served.</summary>
    void Discard(CacheEntry entry);

    /// <summary>
    /// Every variant tagged with one of <paramref name="tags"/> (<see cref="CacheEntry.Tags"/>):
    /// removed, or with <paramref name="staleFrom"/> marked stale from then (a soft purge, see
    /// <see cref="CacheEntry.StaleFrom"/>); returns how many.
    /// </summary>
    ValueTask<int> PurgeTagsAsync(IReadOnlyCollection<string> tags, DateTimeOffset? staleFrom, CancellationToken cancellationToken);

    /// <summary>Variants and bytes held by the front tier (memory).</summary>
    (long Entries, long Bytes) Usage { get; }

    /// <summary>Variants and bytes held by each tier, front first.</summary>
    IReadOnlyList<(string Tier, long Entries, long Bytes)> Tiers { get; }
}
