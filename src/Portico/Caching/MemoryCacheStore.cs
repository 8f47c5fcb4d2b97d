using Portico.Configuration;

namespace Portico.Caching;

/// <summary>
/// The in-memory store: bounded by `cache.maxSize` bytes, evicting the least recently used key
/// (with all its variants) first. Limits are read from the serving config at each store, so a
/// reload that lowers them takes effect at the next store.
/// </summary>
internal sealed class MemoryCacheStore(ActiveConfig config, CacheMetrics metrics) : ICacheStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<Slot>> _slots = new(StringComparer.Ordinal);
    private readonly LinkedList<Slot> _recency = new();
    private readonly StoreUsage _usage = new();

    public (long Entries, long Bytes) Usage => _usage.Now;

    public long MaxObjectSizeBytes => config.Current.Settings.Cache.MaxObjectSizeBytes;

    public IReadOnlyList<(string Tier, long Entries, long Bytes)> Tiers
    {
        get
        {
            var (entries, bytes) = Usage;
            return [(CacheTiers.Memory, entries, bytes)];
        }
    }

    public DiskBodyWriter? BeginBody() => null;

    // A body held in memory is never found damaged.
    public void Discard(CacheEntry entry)
    {
    }

    public ValueTask<IReadOnlyList<CacheEntry>> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(key, out var node))
            {
                return ValueTask.FromResult<IReadOnlyList<CacheEntry>>([]);
            }

            _recency.Remove(node);
            _recency.AddFirst(node);
            return ValueTask.FromResult<IReadOnlyList<CacheEntry>>(node.Value.Variants.ToArray());
        }
    }

    public ValueTask SetAsync(CacheEntry entry, CancellationToken cancellationToken)
    {
        var limits = config.Current.Settings.Cache;
        var size = entry.Size;
        if (!entry.InMemory || entry.Body.Length > limits.MaxObjectSizeBytes || size > limits.MaxSizeBytes)
        {
            return ValueTask.CompletedTask;
        }

        // Its own copy: a file the entry also names belongs to another tier.
        entry = entry.File is null ? entry : entry with { File = null };
        lock (_gate)
        {
            if (!_slots.TryGetValue(entry.Key, out var node))
            {
                node = _recency.AddFirst(new Slot(entry.Key));
                _slots[entry.Key] = node;
            }
            else
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
            }

            var variants = node.Value.Variants;
            var same = variants.FindIndex(v => v.Vary.SequenceEqual(entry.Vary));
            if (same >= 0)
            {
                Account(-variants[same].Size, -1);
                variants.RemoveAt(same);
            }

            variants.Insert(0, entry);
            Account(size, 1);
            while (_usage.Bytes > limits.MaxSizeBytes && _recency.Last is { } last && last != node)
            {
                metrics.Evicted(last.Value.Variants.Count, CacheTiers.Memory);
                Drop(last.Value.Key);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<int> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(Drop(key));
        }
    }

    public ValueTask<int> RemovePrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var removed = 0;
            foreach (var key in _slots.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToArray())
            {
                removed += Drop(key);
            }

            return ValueTask.FromResult(removed);
        }
    }

    private int Drop(string key)
    {
        if (!_slots.Remove(key, out var node))
        {
            return 0;
        }

        _recency.Remove(node);
        var variants = node.Value.Variants;
        Account(-variants.Sum(v => v.Size), -variants.Count);
        return variants.Count;
    }

    private void Account(long bytes, long entries) => _usage.Add(bytes, entries);

    private sealed record Slot(string Key)
    {
        public List<CacheEntry> Variants { get; } = [];
    }
}
