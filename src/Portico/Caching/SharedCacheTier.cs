using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;
using Portico.Redis;
using StackExchange.Redis;

namespace Portico.Caching;

/// <summary>
/// The shared tier in Redis, behind the local tiers: one hash per primary key
/// (`PREFIX cache:KEY`), a field per variant (the hash of its Vary values) holding the variant
/// (<see cref="SharedEntryFormat"/>), and a set per tag (`PREFIX cache-tag:TAG`) of the keys
/// with a variant so tagged. Every key expires: a hash when the longest-lived of its variants
/// may no longer be used (freshness left, plus its stale-while-revalidate / stale-if-error, plus
/// `keepStale` for one with a validator), a tag set with the longest of its keys. Every command
/// goes through the connection's timeout and breaker: Redis away or slow makes a lookup a miss
/// and a store a no-op, never a failed request.
/// </summary>
internal sealed class SharedCacheTier(RedisConnection redis, ActiveConfig config, CacheMetrics metrics, SharedCacheLog log, TimeProvider time)
{
    // HSET the variant, then make the hash and each tag set live at least as long as it. A part
    // (ARGV[5] is then how a complete value begins) never replaces a complete response (RFC 9111
    // §3.4): the part was prepared when none was known, but one may have been stored since, by
    // this instance's background write or another instance's. Nor does a response replace one
    // that arrived after it (ARGV[7], SharedEntryFormat.Arrived, against the held value's, where a
    // value of this format, ARGV[6], has it): the background writes land in either order, and a
    // miss's may follow that of the stale-while-revalidate refresh after it. Decided here, where
    // values are kept.
    private const string StoreScript = """
        local held = redis.call('HGET', KEYS[1], ARGV[1])
        if held then
          if ARGV[5] ~= '' and string.sub(held, 1, string.len(ARGV[5])) == ARGV[5] then return 0 end
          local from = string.len(ARGV[6]) + 2
          if string.sub(held, 1, string.len(ARGV[6])) == ARGV[6] and tonumber(string.sub(held, from, from + string.len(ARGV[7]) - 1)) > tonumber(ARGV[7]) then return 0 end
        end
        local ttl = tonumber(ARGV[3])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
        for i = 2, #KEYS do
          redis.call('SADD', KEYS[i], ARGV[4])
          if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
        end
        return 1
        """;

    private const string RemoveScript = """
        local n = redis.call('HLEN', KEYS[1])
        redis.call('DEL', KEYS[1])
        return n
        """;

    // A soft purge's mark replaces the variant only while it is there: one purged or expired meanwhile is not brought back.
    private const string MarkScript = """
        if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
        return 1
        """;

    /// <summary>Whether this config uses the tier: a `redis` section and `cache.shared.enabled`.</summary>
    public bool On => redis.Configured && config.Current.Settings.Cache.Shared.Enabled;

    /// <summary>The variants Redis holds for <paramref name="key"/>; empty when none, or when Redis could not be asked.</summary>
    public async ValueTask<IReadOnlyList<CacheEntry>> GetAsync(string key, Func<IReadOnlyList<KeyValuePair<string, StringValues>>, CacheDirectives> directives)
    {
        var answer = await redis.RunAsync("cache_get", async db => await db.HashValuesAsync(EntryKey(key)));
        if (!answer.Ok)
        {
            metrics.SharedLookup("error", 0);
            return [];
        }

        var entries = new List<CacheEntry>();
        long bytes = 0;
        foreach (var value in answer.Value!)
        {
            var blob = (byte[])value!;
            bytes += blob.Length;
            if (SharedEntryFormat.Read(blob, directives) is { } entry && entry.Key == key)
            {
                entries.Add(entry);
            }
            else
            {
                log.Unreadable(key);
            }
        }

        metrics.SharedLookup(entries.Count > 0 ? "hit" : "miss", bytes);
        return entries;
    }

    /// <summary>Puts <paramref name="entry"/> in Redis when it belongs there: a complete body in memory, within `cache.shared.maxObjectSize`, with time left to be used.</summary>
    public async Task SetAsync(CacheEntry entry)
    {
        var settings = config.Current.Settings.Cache.Shared;
        var keep = Keep(entry, settings.KeepStale);
        if (!entry.InMemory || entry.Body.Length > settings.MaxObjectSizeBytes || keep <= TimeSpan.Zero)
        {
            metrics.SharedStore("local", 0);
            return;
        }

        var value = SharedEntryFormat.Write(entry);
        var keys = new RedisKey[1 + entry.Tags.Count];
        keys[0] = EntryKey(entry.Key);
        for (var i = 0; i < entry.Tags.Count; i++)
        {
            keys[i + 1] = TagKey(entry.Tags[i]);
        }

        RedisValue[] args = [VariantId(entry.Vary), value, (long)Math.Ceiling(keep.TotalMilliseconds), entry.Key, entry.Ranges is null ? RedisValue.EmptyString : SharedEntryFormat.CompletePrefix,
            SharedEntryFormat.MagicPrefix, SharedEntryFormat.Arrived(entry)];
        var answer = await redis.RunAsync("cache_set", async db => (long)await db.ScriptEvaluateAsync(StoreScript, keys, args));
        metrics.SharedStore(!answer.Ok ? "error" : answer.Value == 1 ? "stored" : "local", value.Length);
    }

    /// <summary>Removes every variant of <paramref name="key"/>; how many there were (0 when Redis could not be asked).</summary>
    public async ValueTask<int> RemoveAsync(string key)
    {
        var answer = await redis.RunAsync("cache_purge", async db => (long)await db.ScriptEvaluateAsync(RemoveScript, [EntryKey(key)]));
        return answer.Ok ? (int)answer.Value : 0;
    }

    /// <summary>
    /// Removes every key starting with <paramref name="prefix"/>. The keys are found by SCAN (in
    /// batches, never one blocking command), so a prefix purge costs in proportion to the
    /// server's key count: it is an operator's action, not a request's.
    /// </summary>
    public async ValueTask<int> RemovePrefixAsync(string prefix)
    {
        var pattern = redis.Key("cache:" + Glob(prefix) + "*").ToString();
        var removed = 0;
        var cursor = "0";
        do
        {
            var page = await redis.RunAsync("cache_purge", async db => (RedisResult[])(await db.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", 1000))!);
            if (!page.Ok || page.Value is not [var next, var found])
            {
                break;
            }

            cursor = (string)next!;
            foreach (var name in (RedisResult[])found!)
            {
                var key = (RedisKey)(string)name!;
                var answer = await redis.RunAsync("cache_purge", async db => (long)await db.ScriptEvaluateAsync(RemoveScript, [key]));
                removed += answer.Ok ? (int)answer.Value : 0;
            }
        }
        while (cursor != "0");

        return removed;
    }

    /// <summary>Every variant tagged with one of <paramref name="tags"/>: removed, or marked stale from <paramref name="staleFrom"/> (the first mark stays); how many.</summary>
    public async ValueTask<int> PurgeTagsAsync(IReadOnlyCollection<string> tags, DateTimeOffset? staleFrom, Func<IReadOnlyList<KeyValuePair<string, StringValues>>, CacheDirectives> directives)
    {
        var wanted = tags.ToHashSet(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tag in wanted)
        {
            var members = await redis.RunAsync("cache_purge", async db => await db.SetMembersAsync(TagKey(tag)));
            keys.UnionWith((members.Value ?? []).Select(m => m.ToString()));
        }

        var purged = 0;
        foreach (var key in keys)
        {
            var fields = await redis.RunAsync("cache_purge", async db => await db.HashGetAllAsync(EntryKey(key)));
            foreach (var field in fields.Value ?? [])
            {
                if (SharedEntryFormat.Read((byte[])field.Value!, directives) is not { } entry || !entry.Tags.Any(wanted.Contains))
                {
                    continue;
                }

                purged++;
                if (staleFrom is null)
                {
                    await redis.RunAsync("cache_purge", db => db.HashDeleteAsync(EntryKey(key), field.Name));
                }
                else if (entry.StaleFrom is null)
                {
                    var marked = SharedEntryFormat.Write(entry with { StaleFrom = staleFrom });
                    await redis.RunAsync("cache_purge", db => db.ScriptEvaluateAsync(MarkScript, [EntryKey(key)], [field.Name, marked]));
                }
            }
        }

        if (staleFrom is null)
        {
            foreach (var tag in wanted)
            {
                await redis.RunAsync("cache_purge", db => db.KeyDeleteAsync(TagKey(tag)));
            }
        }

        return purged;
    }

    /// <summary>
    /// How long a variant may still be used by some request: its freshness left (RFC 9111 §4.2;
    /// the heuristic counted, as a route may allow it), then the staleness RFC 5861 allows, then
    /// `keepStale` when it can be revalidated (§4.3.1 needs a validator).
    /// </summary>
    private TimeSpan Keep(CacheEntry entry, TimeSpan keepStale)
    {
        var d = entry.Directives;
        var fresh = Freshness.Lifetime(entry, heuristic: true) - Freshness.Age(entry, time.GetUtcNow());
        var stale = Freshness.ForbidsStale(d) ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Max(d.StaleWhileRevalidate ?? 0, d.StaleIfError ?? 0));
        var validated = entry.Header("ETag") is not null || entry.Header("Last-Modified") is not null;
        return fresh + stale + (validated ? keepStale : TimeSpan.Zero);
    }

    private RedisKey EntryKey(string key) => redis.Key("cache:" + key);

    private RedisKey TagKey(string tag) => redis.Key("cache-tag:" + tag);

    private static string VariantId(IReadOnlyList<KeyValuePair<string, string>> vary)
        => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(string.Join('\n', vary.Select(v => v.Key + ":" + v.Value)))).ToString("x16");

    // SCAN's MATCH is a glob: the prefix's own *, ?, [ and \ are matched as written.
    private static string Glob(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
