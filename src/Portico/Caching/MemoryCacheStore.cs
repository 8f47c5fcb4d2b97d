using Portico.Configuration;

namespace Portico.Caching;

/// <summary>
/// The in-memory store: bounded by `cache.maxSize` bytes, evicting the least recently used key
/// (with all its variants) first. Limits are read from the serving config at each store, so a
/// reload that lowers them takes effect at the next store. An index from tag to the keys with a
/// variant so tagged is kept beside the keys, changed under the same lock whenever a variant is
/// stored, replaced, purged or evicted, so it never names a key that is gone and is no larger
/// than the tags of what is held. Purges are remembered for a while (<see cref="PurgeFence"/>),
/// under the same lock, so a response on its way at a purge is not stored over it.
/// </summary>
internal sealed class MemoryCacheStore(ActiveConfig config, CacheMetrics metrics, TimeProvider time) : ICacheStore
{
    private readonly Lock _gate = new();
    private readonly PurgeFence _fence = new(time);
    private readonly Dictionary<string, LinkedListNode<Slot>> _slots = new(StringComparer.Ordinal);
    private readonly LinkedList<Slot> _recency = new();
    private readonly StoreUsage _usage = new();
    private readonly Dictionary<string, HashSet<string>> _tagged = new(StringComparer.Ordinal);

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

    // The memory tier has nothing behind it.
    public ValueTask<IReadOnlyList<CacheEntry>> GetSharedAsync(string key, IReadOnlyList<CacheEntry> local, CancellationToken cancellationToken)
        => ValueTask.FromResult(local);

    /// <summary>
    /// <paramref name="entry"/> as a tier may store it now: null when a purge since its request
    /// removed what it stands for, marked stale when a soft purge did (see <see cref="PurgeFence"/>).
    /// </summary>
    public CacheEntry? Admit(CacheEntry entry)
    {
        lock (_gate)
        {
            return _fence.Admit(entry);
        }
    }

    public ValueTask SetAsync(CacheEntry entry, CancellationToken cancellationToken)
    {
        Place(entry, fenced: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Places what another tier holds (promoted from the disk, or from Redis): stored before any
    /// purge since, or that tier's purge would have removed it, so the fence is not asked.
    /// </summary>
    public void Place(CacheEntry entry) => Place(entry, fenced: false);

    private void Place(CacheEntry entry, bool fenced)
    {
        var limits = config.Current.Settings.Cache;
        var size = entry.Size;
        if (!entry.InMemory || entry.Body.Length > limits.MaxObjectSizeBytes || size > limits.MaxSizeBytes)
        {
            return;
        }

        // Its own copy: a file the entry also names belongs to another tier.
        entry = entry.File is null ? entry : entry with { File = null };
        lock (_gate)
        {
            // A purge since its request removed what it stands for (or, soft, made it stale).
            if (fenced)
            {
                if (_fence.Admit(entry) is not { } admitted)
                {
                    return;
                }

                entry = admitted;
            }

            // A part never replaces a complete response (RFC 9111 §3.4), nor does a response replace
            // one that arrived after it. PartialStore looked before it prepared the part, but a 200
            // may have been stored since; and a slow miss can finish recording after the refresh or
            // the miss that followed it: decided here, under the lock, as the disk tier decides.
            if (_slots.TryGetValue(entry.Key, out var held)
                && held.Value.Variants.Exists(v => v.Vary.SequenceEqual(entry.Vary)
                    && ((entry.Ranges is not null && v.Ranges is null) || v.ResponseTime > entry.ResponseTime)))
            {
                return;
            }

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
            Retag(node.Value);
            while (_usage.Bytes > limits.MaxSizeBytes && _recency.Last is { } last && last != node)
            {
                metrics.Evicted(last.Value.Variants.Count, CacheTiers.Memory);
                Drop(last.Value.Key);
            }
        }
    }

    public ValueTask<int> RemoveAsync(string key, CancellationToken cancellationToken, DateTimeOffset? sentBefore = null)
    {
        lock (_gate)
        {
            _fence.Key(key, sentBefore);
            return ValueTask.FromResult(Drop(key));
        }
    }

    public ValueTask<int> RemovePrefixAsync(string prefix, CancellationToken cancellationToken, DateTimeOffset? sentBefore = null)
    {
        lock (_gate)
        {
            _fence.Prefix(prefix, sentBefore);
            var removed = 0;
            foreach (var key in _slots.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToArray())
            {
                removed += Drop(key);
            }

            return ValueTask.FromResult(removed);
        }
    }

    public ValueTask<int> PurgeTagsAsync(IReadOnlyCollection<string> tags, DateTimeOffset? staleFrom, CancellationToken cancellationToken)
    {
        var wanted = tags.ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            _fence.Tags(wanted, staleFrom);
            var keys = wanted.SelectMany(t => _tagged.GetValueOrDefault(t) ?? []).Distinct(StringComparer.Ordinal).ToArray();
            var purged = 0;
            foreach (var key in keys)
            {
                var slot = _slots[key].Value;
                var variants = slot.Variants;
                for (var i = variants.Count - 1; i >= 0; i--)
                {
                    var variant = variants[i];
                    if (!variant.Tags.Any(wanted.Contains))
                    {
                        continue;
                    }

                    purged++;
                    if (staleFrom is { } at)
                    {
                        // A second soft purge does not move the first one's instant: staleness counts from the first.
                        variants[i] = variant.StaleFrom is null ? variant with { StaleFrom = at } : variant;
                    }
                    else
                    {
                        Account(-variant.Size, -1);
                        variants.RemoveAt(i);
                    }
                }

                if (variants.Count == 0)
                {
                    Drop(key);
                }
                else
                {
                    Retag(slot);
                }
            }

            return ValueTask.FromResult(purged);
        }
    }

    // The slot's tags are the union of its variants'; the index follows every change of them.
    private void Retag(Slot slot)
    {
        var now = slot.Variants.SelectMany(v => v.Tags).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in slot.Tags.Where(t => !now.Contains(t)))
        {
            Unindex(gone, slot.Key);
        }

        foreach (var added in now.Where(t => !slot.Tags.Contains(t)))
        {
            if (!_tagged.TryGetValue(added, out var keys))
            {
                keys = new HashSet<string>(StringComparer.Ordinal);
                _tagged[added] = keys;
            }

            keys.Add(slot.Key);
        }

        slot.Tags = now;
    }

    private void Unindex(string tag, string key)
    {
        if (_tagged.TryGetValue(tag, out var keys) && keys.Remove(key) && keys.Count == 0)
        {
            _tagged.Remove(tag);
        }
    }

    private int Drop(string key)
    {
        if (!_slots.Remove(key, out var node))
        {
            return 0;
        }

        _recency.Remove(node);
        foreach (var tag in node.Value.Tags)
        {
            Unindex(tag, key);
        }

        var variants = node.Value.Variants;
        Account(-variants.Sum(v => v.Size), -variants.Count);
        return variants.Count;
    }

    private void Account(long bytes, long entries) => _usage.Add(bytes, entries);

    private sealed record Slot(string Key)
    {
        public List<CacheEntry> Variants { get; } = [];

        /// <summary>The tags of its variants, as the tag index has them.</summary>
        public HashSet<string> Tags { get; set; } = [];
    }
}
