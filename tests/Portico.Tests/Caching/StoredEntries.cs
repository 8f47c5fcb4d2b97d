using Portico.Caching;

namespace Portico.Tests.Caching;

/// <summary>Stored responses for the store tests: a complete 200 of a given body size, and a part (a stored 206) of a 26-byte representation.</summary>
internal static class StoredEntries
{
    public static CacheEntry Complete(string key, int bodyBytes, string variant = "") => new()
    {
        Key = key,
        Vary = variant.Length == 0 ? [] : [new("accept-encoding", variant)],
        Status = 200,
        Headers = [],
        Body = new byte[bodyBytes],
        RequestTime = DateTimeOffset.UnixEpoch,
        ResponseTime = DateTimeOffset.UnixEpoch,
        Date = DateTimeOffset.UnixEpoch,
        Directives = CacheDirectives.None,
    };

    /// <summary>Bytes 0-4 of 26.</summary>
    public static CacheEntry Part(string key) => Complete(key, 5) with { Status = 206, Ranges = new HeldRanges(26, [(0, 4)]) };
}
