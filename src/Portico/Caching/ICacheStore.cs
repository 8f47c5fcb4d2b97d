namespace Portico.Caching;

/// <summary>
/// Where stored responses live. The cache logic only talks to this, so a shared store (Redis)
/// can sit beside the in-memory one. Keys are primary keys (<see cref="CacheKey"/>); each holds
/// the variants stored for it.
/// </summary>
internal interface ICacheStore
{
    /// <summary>Every stored variant of <paramref name="key"/>, most recently stored first; empty when none.</summary>
    ValueTask<IReadOnlyList<CacheEntry>> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="entry"/>, replacing the variant with the same Vary values.</summary>
    ValueTask SetAsync(CacheEntry entry, CancellationToken cancellationToken);

    /// <summary>Removes every variant of <paramref name="key"/>; returns how many there were.</summary>
    ValueTask<int> RemoveAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes every variant of every key starting with <paramref name="prefix"/>; returns how many.</summary>
    ValueTask<int> RemovePrefixAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Variants and bytes held now.</summary>
    (long Entries, long Bytes) Usage { get; }
}
