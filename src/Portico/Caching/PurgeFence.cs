namespace Portico.Caching;

/// <summary>
/// The purges of the last minutes (by URL, prefix or tag, and the invalidations of unsafe
/// requests), so that a response whose request went to the origin before a purge, and which
/// finishes after it, is not stored as if the purge had not happened: after a hard purge it is
/// not stored; after a soft one it is stored stale from the purge's instant. A purge removes what
/// is held; this covers what was on its way. Not thread-safe: the memory tier calls it under its
/// lock, so a purge and a store are ordered there.
/// </summary>
internal sealed class PurgeFence(TimeProvider time)
{
    /// <summary>How long a purge is remembered; a response whose request is older than a purge forgotten is not stored.</summary>
    internal static readonly TimeSpan Kept = TimeSpan.FromMinutes(10);

    /// <summary>At most this many URLs are remembered; past it the oldest are forgotten early.</summary>
    internal const int MostKeys = 65_536;

    /// <summary>At most this many prefix and tag purges are remembered; past it the oldest are forgotten early.</summary>
    internal const int MostWide = 1_024;

    private readonly Dictionary<string, DateTimeOffset> _keys = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset At)> _keyOrder = new();
    private readonly List<Wide> _wide = [];

    // The instant of the newest purge forgotten: nothing is known of purges before it.
    private DateTimeOffset _horizon = DateTimeOffset.MinValue;

    /// <param name="sentBefore">Responses to requests sent before it are kept out (default: now; an unsafe request's own send time, so that its own response, stored after its invalidation, is not).</param>
    public void Key(string key, DateTimeOffset? sentBefore = null)
    {
        var at = sentBefore ?? Now();
        _keys[key] = _keys.TryGetValue(key, out var held) && held > at ? held : at;
        _keyOrder.Enqueue((key, at));
        Forget();
    }

    public void Prefix(string prefix, DateTimeOffset? sentBefore = null)
    {
        // A key and its line break: the keys of one URL under key lines (an unsafe request's
        // invalidation), as frequent as such requests, so remembered as keys are and found by
        // each line break of a stored key; any other prefix (the admin API's) is scanned.
        if (prefix.EndsWith('\n'))
        {
            Key(prefix, sentBefore);
            return;
        }

        _wide.Add(new Wide(sentBefore ?? Now(), prefix, null, null));
        Forget();
    }

    public void Tags(IReadOnlyCollection<string> tags, DateTimeOffset? staleFrom)
    {
        _wide.Add(new Wide(Now(), null, tags.ToHashSet(StringComparer.Ordinal), staleFrom));
        Forget();
    }

    /// <summary>
    /// <paramref name="entry"/> as it may be stored now (marked stale by a soft purge since its
    /// request), or null when a purge since its request (or one forgotten) removed it.
    /// </summary>
    public CacheEntry? Admit(CacheEntry entry)
    {
        if (_keyOrder.Count == 0 && _wide.Count == 0 && _horizon == DateTimeOffset.MinValue)
        {
            return entry;
        }

        Forget();
        var sent = entry.RequestTime;
        if (sent < _horizon || Purged(entry.Key, sent))
        {
            return null;
        }

        for (var line = entry.Key.IndexOf('\n'); line >= 0; line = entry.Key.IndexOf('\n', line + 1))
        {
            if (Purged(entry.Key.AsSpan(0, line + 1), sent))
            {
                return null;
            }
        }

        foreach (var purge in _wide)
        {
            if (purge.At <= sent || !purge.Matches(entry))
            {
                continue;
            }

            if (purge.StaleFrom is not { } staleFrom)
            {
                return null;
            }

            // A second soft purge does not move the first one's instant, as in the tiers.
            entry = entry.StaleFrom is null ? entry with { StaleFrom = staleFrom } : entry;
        }

        return entry;
    }

    private bool Purged(ReadOnlySpan<char> key, DateTimeOffset sent)
        => _keys.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var at) && at > sent;

    private DateTimeOffset Now() => time.GetUtcNow();

    private void Forget()
    {
        var before = Now() - Kept;
        while (_keyOrder.TryPeek(out var oldest) && (oldest.At < before || _keyOrder.Count > MostKeys))
        {
            _keyOrder.Dequeue();
            if (_keys.TryGetValue(oldest.Key, out var at) && at == oldest.At)
            {
                _keys.Remove(oldest.Key);
            }

            _horizon = Max(_horizon, oldest.At);
        }

        var gone = Math.Max(_wide.FindLastIndex(w => w.At < before), _wide.Count - MostWide - 1);
        if (gone >= 0)
        {
            _horizon = Max(_horizon, _wide[gone].At);
            _wide.RemoveRange(0, gone + 1);
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private sealed record Wide(DateTimeOffset At, string? Prefix, HashSet<string>? TagSet, DateTimeOffset? StaleFrom)
    {
        public bool Matches(CacheEntry entry)
            => Prefix is not null ? entry.Key.StartsWith(Prefix, StringComparison.Ordinal) : entry.Tags.Any(TagSet!.Contains);
    }
}
