using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// One stored response (one variant of one URL): status, header fields as the client would get
/// them, body, and the times RFC 9111 §4.2.3 computes its age from. Immutable; a 304 that
/// updates it (§4.3.4) makes a new one.
/// </summary>
internal sealed record CacheEntry
{
    /// <summary>The primary key: the target URI (see <see cref="CacheKey"/>).</summary>
    public required string Key { get; init; }

    /// <summary>The request's normalized values of the fields the response's Vary names (lower-cased names).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Vary { get; init; }

    public required int Status { get; init; }

    public required IReadOnlyList<KeyValuePair<string, StringValues>> Headers { get; init; }

    /// <summary>The body when held in memory; empty when only <see cref="File"/> holds it.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Where the disk tier holds the body (see <see cref="DiskBody"/>), or null when only <see cref="Body"/> does.</summary>
    public DiskBody? File { get; init; }

    /// <summary>The body's length, wherever it is held.</summary>
    public long BodyLength => File?.Length ?? Body.Length;

    /// <summary>
    /// For a partial entry (a stored 206, RFC 9111 §3.3), the ranges its body holds and the
    /// complete length; null for a complete response.
    /// </summary>
    public HeldRanges? Ranges { get; init; }

    /// <summary>The length of the whole representation: the body's, or for a partial entry the complete length.</summary>
    public long RepresentationLength => Ranges?.Length ?? BodyLength;

    /// <summary>Whether <see cref="Body"/> holds the whole body, so it can be served without reading a file.</summary>
    public bool InMemory => File is null || Body.Length == File.Length;

    /// <summary>When the request that produced it was sent (request_time).</summary>
    public required DateTimeOffset RequestTime { get; init; }

    /// <summary>When its headers arrived (response_time).</summary>
    public required DateTimeOffset ResponseTime { get; init; }

    /// <summary>The `Date` of the response, or <see cref="ResponseTime"/> without one.</summary>
    public required DateTimeOffset Date { get; init; }

    /// <summary>The `Age` the origin or an upstream cache sent (age_value), seconds.</summary>
    public long AgeValue { get; init; }

    public required CacheDirectives Directives { get; init; }

    /// <summary>The tags its backend gave it in `cache.tagField` (see <see cref="CacheTags"/>), for purging by tag.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>
    /// Set by a soft purge: from this instant on it counts as stale (see <see cref="Freshness.Lifetime"/>),
    /// so the next request revalidates it, or is served it stale while it is revalidated where
    /// the response allows that (RFC 5861 §3).
    /// </summary>
    public DateTimeOffset? StaleFrom { get; init; }

    /// <summary>Bytes it takes in the store.</summary>
    public long Size => BodyLength + 256 + Headers.Sum(h => h.Key.Length + h.Value.Sum(v => v?.Length ?? 0));

    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return value.ToString();
            }
        }

        return null;
    }
}
