using System.Collections.Concurrent;

namespace Portico.Caching;

/// <summary>
/// The URLs answered most often from the cache, for the cache panel: a bounded top list in the
/// manner of the space-saving algorithm. A URL already tracked costs a lookup and an increment per
/// hit. Up to <see cref="Capacity"/> URLs are tracked exactly from their first hit; past that, one
/// hit on an untracked URL in <see cref="SampleEvery"/> displaces the least-hit URL and takes its
/// count plus the hits the sample stands for, so a newcomer's count may be over by that much, and
/// any URL with more than one hit in <see cref="Capacity"/> stays tracked. Memory is bounded
/// whatever the traffic.
/// </summary>
internal sealed class CacheTopUrls
{
    public const int Capacity = 256;
    public const int SampleEvery = 16;

    private readonly ConcurrentDictionary<string, Counter> _counts = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _tracked;
    private long _untracked;

    public void Hit(string url)
    {
        if (_counts.TryGetValue(url, out var counter))
        {
            Interlocked.Increment(ref counter.Hits);
            return;
        }

        var full = Volatile.Read(ref _tracked) >= Capacity;
        if (full && Interlocked.Increment(ref _untracked) % SampleEvery != 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_counts.TryGetValue(url, out counter))
            {
                Interlocked.Increment(ref counter.Hits);
                return;
            }

            long inherited = 0;
            if (_tracked >= Capacity)
            {
                var least = _counts.MinBy(p => Volatile.Read(ref p.Value.Hits));
                _counts.TryRemove(least.Key, out _);
                inherited = Volatile.Read(ref least.Value.Hits) + SampleEvery - 1;
                _tracked--;
            }

            _counts[url] = new Counter { Hits = inherited + 1 };
            _tracked++;
        }
    }

    /// <summary>The <paramref name="count"/> URLs with the most hits, most first.</summary>
    public IReadOnlyList<(string Url, long Hits)> Top(int count)
        => [.. _counts.Select(p => (p.Key, Volatile.Read(ref p.Value.Hits))).OrderByDescending(p => p.Item2).ThenBy(p => p.Key, StringComparer.Ordinal).Take(count)];

    private sealed class Counter
    {
        public long Hits;
    }
}
