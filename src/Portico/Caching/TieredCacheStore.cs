using System.Collections.Concurrent;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;

namespace Portico.Caching;

/// <summary>
/// The store the cache uses: the memory tier in front, and with `cache.disk` the disk tier behind
/// it. A lookup is answered from memory when memory has every variant the disk has; otherwise the
/// disk's other variants are read, and each one that fits the memory tier's limits is promoted
/// into it (read whole and checked), the rest served from their files. Every store goes to both
/// tiers, so eviction from memory loses nothing the disk holds; the disk write (with its flush)
/// runs in the background, not in the response's way, and purges (by URL, prefix or tag, hard or
/// soft) wait for the writes in flight, then reach both tiers.
/// </summary>
internal sealed class TieredCacheStore : ICacheStore
{
    private readonly MemoryCacheStore _memory;
    private readonly ActiveConfig _config;
    private readonly CacheMetrics _metrics;
    private readonly DiskCacheLog _log;
    private readonly SharedCacheTier _shared;
    private readonly ConcurrentDictionary<Task, bool> _writing = new();
    private readonly Lock _opening = new();
    private DiskCacheStore? _disk;
    private volatile bool _opened;

    public TieredCacheStore(MemoryCacheStore memory, ActiveConfig config, CacheMetrics metrics, DiskCacheLog log, SharedCacheTier shared)
    {
        _memory = memory;
        _shared = shared;
        Local = new LocalTiers(this);
        _config = config;
        _metrics = metrics;
        _log = log;

        // The tier opens with the first config that serves (the store may be built before it),
        // so its files are indexed from start-up on, not from the first request.
        config.Changed += _ => Open();
        Open();
    }

    /// <summary>
    /// The same store without its shared tier: what a purge another instance sent runs on (that
    /// instance already purged Redis), so each instance purges only what it holds itself.
    /// </summary>
    internal ICacheStore Local { get; }

    /// <summary>The disk tier, when there is one.</summary>
    internal DiskCacheStore? Disk => Open();

    private DiskCacheStore? Open()
    {
        if (_opened)
        {
            return _disk;
        }

        var current = _config.Current;
        if (ReferenceEquals(current, ConfigSnapshot.Empty))
        {
            return null;
        }

        lock (_opening)
        {
            if (!_opened && current.Settings.Cache.Disk is { } disk)
            {
                try
                {
                    _disk = new DiskCacheStore(disk, Directives, _log, _metrics);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _log.OpenFailed(disk.Directory, e.Message);
                }
            }

            _opened = true;
            return _disk;
        }
    }

    public long MaxObjectSizeBytes => Math.Max(_memory.MaxObjectSizeBytes, Disk?.MaxObjectSizeBytes ?? 0);

    public (long Entries, long Bytes) Usage => _memory.Usage;

    public IReadOnlyList<(string Tier, long Entries, long Bytes)> Tiers
    {
        get
        {
            if (Disk is not { } disk)
            {
                return _memory.Tiers;
            }

            var (entries, bytes) = disk.Usage;
            return [.. _memory.Tiers, (CacheTiers.Disk, entries, bytes)];
        }
    }

    public DiskBodyWriter? BeginBody() => Disk?.BeginBody();

    public void Discard(CacheEntry entry)
    {
        if (entry.File is { } file)
        {
            Disk?.Damaged(file.Path, "body cut short or checksum mismatch while serving");
        }
    }

    public async ValueTask<IReadOnlyList<CacheEntry>> GetAsync(string key, CancellationToken cancellationToken)
    {
        var inMemory = await _memory.GetAsync(key, cancellationToken);
        var disk = Disk;
        var onDisk = disk?.Touch(key) ?? 0;
        if (disk is null || (inMemory.Count > 0 && inMemory.Count >= onDisk))
        {
            return Found(inMemory, CacheTiers.Memory);
        }

        var fromDisk = disk.Get(key).Where(d => !inMemory.Any(m => m.Vary.SequenceEqual(d.Vary))).ToArray();
        if (fromDisk.Length == 0)
        {
            return Found(inMemory, CacheTiers.Memory);
        }

        var all = new List<CacheEntry>(inMemory);
        foreach (var entry in fromDisk)
        {
            if (await PromoteAsync(disk, entry, cancellationToken) is { } usable)
            {
                all.Add(usable);
            }
        }

        // Most recently stored first, as from a single tier.
        all.Sort((a, b) => b.ResponseTime.CompareTo(a.ResponseTime));
        return Found(all, all.Count > inMemory.Count ? CacheTiers.Disk : CacheTiers.Memory);
    }

    public ValueTask SetAsync(CacheEntry entry, CancellationToken cancellationToken) => SetAsync(entry, shared: true, cancellationToken);

    /// <summary>
    /// The local tiers' variants of <paramref name="key"/> (<paramref name="local"/>, from
    /// <see cref="GetAsync"/>) with the shared tier's that are not among them or were stored
    /// after them (another instance stored or revalidated the URL since), each of those promoted
    /// into the memory tier. Redis is asked only here, never by <see cref="GetAsync"/>, so the
    /// fast path's lookups stay local.
    /// </summary>
    public async ValueTask<IReadOnlyList<CacheEntry>> GetSharedAsync(string key, IReadOnlyList<CacheEntry> local, CancellationToken cancellationToken)
    {
        if (!_shared.On)
        {
            return local;
        }

        var newer = (await _shared.GetAsync(key, Directives))
            .Where(s => !local.Any(l => l.Vary.SequenceEqual(s.Vary) && l.ResponseTime >= s.ResponseTime))
            .ToArray();
        if (newer.Length == 0)
        {
            return local;
        }

        _metrics.TierHit(CacheTiers.Shared);
        var all = local.Where(l => !newer.Any(n => n.Vary.SequenceEqual(l.Vary))).ToList();
        foreach (var entry in newer)
        {
            _memory.Place(entry);
            all.Add(entry);
        }

        // Most recently stored first, as from a single tier.
        all.Sort((a, b) => b.ResponseTime.CompareTo(a.ResponseTime));
        return all;
    }

    private async ValueTask SetAsync(CacheEntry entry, bool shared, CancellationToken cancellationToken)
    {
        // Not stored when a purge removed it on its way: the memory tier asks under its lock,
        // and each background write just before it writes (PurgeFence).
        if (entry.InMemory)
        {
            await _memory.SetAsync(entry, cancellationToken);
        }

        if (shared && _shared.On)
        {
            // In the background as the disk write is; a purge waits for it (WrittenAsync), so a
            // purge is never undone by a store landing in Redis after it.
            Track(Task.Run(() => _memory.Admit(entry) is { } now ? _shared.SetAsync(now) : Task.CompletedTask));
        }

        if (Disk is not { } disk)
        {
            Dropped(entry);
            return;
        }

        var write = Task.Run(async () =>
        {
            try
            {
                if (_memory.Admit(entry) is { } now)
                {
                    await disk.SetAsync(now);
                }
                else
                {
                    Dropped(entry);
                }
            }
            catch (Exception e)
            {
                _metrics.DiskError("write");
                _log.WriteFailed(entry.Key, e.Message);
            }
        });
        Track(write);
    }

    // A body spooled for the disk tier that no tier takes.
    private static void Dropped(CacheEntry entry)
    {
        if (entry.File is { Spool: true } spool)
        {
            DiskBodyWriter.Delete(spool.Path);
        }
    }

    private void Track(Task write)
    {
        _writing[write] = true;
        _ = write.ContinueWith(t => _writing.TryRemove(t, out _), TaskScheduler.Default);
    }

    public ValueTask<int> RemoveAsync(string key, CancellationToken cancellationToken, DateTimeOffset? sentBefore = null)
        => RemoveAsync(memory => memory.RemoveAsync(key, cancellationToken, sentBefore), disk => disk.RemoveAsync(key), shared => shared.RemoveAsync(key));

    public ValueTask<int> RemovePrefixAsync(string prefix, CancellationToken cancellationToken, DateTimeOffset? sentBefore = null)
        => RemoveAsync(memory => memory.RemovePrefixAsync(prefix, cancellationToken, sentBefore), disk => disk.RemovePrefixAsync(prefix), shared => shared.RemovePrefixAsync(prefix));

    public ValueTask<int> PurgeTagsAsync(IReadOnlyCollection<string> tags, DateTimeOffset? staleFrom, CancellationToken cancellationToken)
        => RemoveAsync(memory => memory.PurgeTagsAsync(tags, staleFrom, cancellationToken), disk => disk.PurgeTagsAsync(tags, staleFrom), shared => shared.PurgeTagsAsync(tags, staleFrom, Directives));

    /// <summary>Completes when the disk and shared-tier writes begun so far are done (a purge must not be undone by one landing after it).</summary>
    internal Task WrittenAsync() => Task.WhenAll(_writing.Keys);

    // From every tier (removed, or for a soft purge marked), counted as the largest count: every
    // variant in memory is on disk too, unless its disk write failed; the shared tier holds what
    // every instance stored. Without fromShared, the local tiers only (LocalTiers).
    private async ValueTask<int> RemoveAsync(Func<MemoryCacheStore, ValueTask<int>> fromMemory, Func<DiskCacheStore, ValueTask<int>> fromDisk, Func<SharedCacheTier, ValueTask<int>>? fromShared)
    {
        var removed = await fromMemory(_memory);
        var shared = fromShared is not null && _shared.On;
        if (Disk is null && !shared)
        {
            return removed;
        }

        await WrittenAsync();
        if (Disk is { } disk)
        {
            removed = Math.Max(removed, await fromDisk(disk));
        }

        return shared ? Math.Max(removed, await fromShared!(_shared)) : removed;
    }

    // A body within the memory tier's limits is read whole (and checked) into it; a larger one stays in its file.
    private async ValueTask<CacheEntry?> PromoteAsync(DiskCacheStore disk, CacheEntry entry, CancellationToken cancellationToken)
    {
        var limits = _config.Current.Settings.Cache;
        if (entry.BodyLength > limits.MaxObjectSizeBytes || entry.Size > limits.MaxSizeBytes)
        {
            return entry;
        }

        if (await DiskBodyReader.ReadAllAsync(entry.File!, cancellationToken) is not { } body)
        {
            disk.Damaged(entry.File!.Path, "body cut short or checksum mismatch");
            return null;
        }

        var promoted = entry with { Body = body, File = null };
        _memory.Place(promoted);
        return promoted;
    }

    private IReadOnlyList<CacheEntry> Found(IReadOnlyList<CacheEntry> entries, string tier)
    {
        if (entries.Count > 0)
        {
            _metrics.TierHit(tier);
        }

        return entries;
    }

    // Stored fields' directives, read as a fresh response's are (they follow `cache.targetedField`).
    private CacheDirectives Directives(IReadOnlyList<KeyValuePair<string, StringValues>> headers)
        => TargetedField.Directives(
            name => headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value,
            _config.Current.Settings.Cache.TargetedField);

    // The store less its shared tier: lookups and stores as the store's own, purges of memory and disk alone.
    private sealed class LocalTiers(TieredCacheStore store) : ICacheStore
    {
        public long MaxObjectSizeBytes => store.MaxObjectSizeBytes;

        public (long Entries, long Bytes) Usage => store.Usage;

        public IReadOnlyList<(string Tier, long Entries, long Bytes)> Tiers => store.Tiers;

        public DiskBodyWriter? BeginBody() => store.BeginBody();

        public void Discard(CacheEntry entry) => store.Discard(entry);

        public ValueTask<IReadOnlyList<CacheEntry>> GetAsync(string key, CancellationToken cancellationToken) => store.GetAsync(key, cancellationToken);

        public ValueTask<IReadOnlyList<CacheEntry>> GetSharedAsync(string key, IReadOnlyList<CacheEntry> local, CancellationToken cancellationToken) => ValueTask.FromResult(local);

        public ValueTask SetAsync(CacheEntry entry, CancellationToken cancellationToken) => store.SetAsync(entry, shared: false, cancellationToken);

        public ValueTask<int> RemoveAsync(string key, CancellationToken cancellationToken, DateTimeOffset? sentBefore = null)
            => store.RemoveAsync(memory => memory.RemoveAsync(key, cancellationToken, sentBefore), disk => disk.RemoveAsync(key), null);

        public ValueTask<int> RemovePrefixAsync(string prefix, CancellationToken cancellationToken, DateTimeOffset? sentBefore = null)
            => store.RemoveAsync(memory => memory.RemovePrefixAsync(prefix, cancellationToken, sentBefore), disk => disk.RemovePrefixAsync(prefix), null);

        public ValueTask<int> PurgeTagsAsync(IReadOnlyCollection<string> tags, DateTimeOffset? staleFrom, CancellationToken cancellationToken)
            => store.RemoveAsync(memory => memory.PurgeTagsAsync(tags, staleFrom, cancellationToken), disk => disk.PurgeTagsAsync(tags, staleFrom), null);
    }
}
