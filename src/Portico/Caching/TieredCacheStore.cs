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
    private readonly ConcurrentDictionary<Task, bool> _writing = new();
    private readonly Lock _opening = new();
    private DiskCacheStore? _disk;
    private volatile bool _opened;

    public TieredCacheStore(MemoryCacheStore memory, ActiveConfig config, CacheMetrics metrics, DiskCacheLog log)
    {
        _memory = memory;
        _config = config;
        _metrics = metrics;
        _log = log;

        // The tier opens with the first config that serves (the store may be built before it),
        // so its files are indexed from start-up on, not from the first request.
        config.Changed += _ => Open();
        Open();
    }

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

    public async ValueTask SetAsync(CacheEntry entry, CancellationToken cancellationToken)
    {
        if (entry.InMemory)
        {
            await _memory.SetAsync(entry, cancellationToken);
        }

        if (Disk is not { } disk)
        {
            if (entry.File is { Spool: true } spool)
            {
                DiskBodyWriter.Delete(spool.Path);
            }

            return;
        }

        var write = Task.Run(async () =>
        {
            try
            {
                await disk.SetAsync(entry);
            }
            catch (Exception e)
            {
                _metrics.DiskError("write");
                _log.WriteFailed(entry.Key, e.Message);
            }
        });
        _writing[write] = true;
        _ = write.ContinueWith(t => _writing.TryRemove(t, out _), TaskScheduler.Default);
    }

    public ValueTask<int> RemoveAsync(string key, CancellationToken cancellationToken)
        => RemoveAsync(memory => memory.RemoveAsync(key, cancellationToken), disk => disk.RemoveAsync(key));

    public ValueTask<int> RemovePrefixAsync(string prefix, CancellationToken cancellationToken)
        => RemoveAsync(memory => memory.RemovePrefixAsync(prefix, cancellationToken), disk => disk.RemovePrefixAsync(prefix));

    public ValueTask<int> PurgeTagsAsync(IReadOnlyCollection<string> tags, DateTimeOffset? staleFrom, CancellationToken cancellationToken)
        => RemoveAsync(memory => memory.PurgeTagsAsync(tags, staleFrom, cancellationToken), disk => disk.PurgeTagsAsync(tags, staleFrom));

    /// <summary>Completes when the disk writes begun so far are done (a purge must not be undone by one landing after it).</summary>
    internal Task WrittenAsync() => Task.WhenAll(_writing.Keys);

    // From both tiers (removed, or for a soft purge marked), counted as the larger of the two:
    // every variant in memory is on disk too, unless its disk write failed.
    private async ValueTask<int> RemoveAsync(Func<MemoryCacheStore, ValueTask<int>> fromMemory, Func<DiskCacheStore, ValueTask<int>> fromDisk)
    {
        var removed = await fromMemory(_memory);
        if (Disk is not { } disk)
        {
            return removed;
        }

        await WrittenAsync();
        return Math.Max(removed, await fromDisk(disk));
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
        await _memory.SetAsync(promoted, cancellationToken);
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
}
