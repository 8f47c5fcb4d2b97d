using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Portico.Caching;
using Microsoft.Extensions.Primitives;
using Portico.Compression;
using Portico.Configuration.Model;

namespace Portico.FastPath;

/// <summary>
/// Fresh cache hits on the fast path: the answer the full path's cache stage
/// (<see cref="CacheMiddleware"/>, <see cref="CacheResponder"/>) gives a plain GET or HEAD whose
/// stored response is fresh and matches its Vary fields, written straight into the connection's
/// output, or 304 when the client's If-None-Match / If-Modified-Since says it has it (§4.3.2).
/// Anything else a cache must weigh (Cache-Control, Pragma, Authorization, If-Match,
/// If-Unmodified-Since, Range), a miss, a stale or `no-cache` entry, is the full path's: it looks
/// the request up again, as is a hit whose body only the disk tier holds and a stored part (a 206).
/// </summary>
internal sealed class FastCache(ICacheStore store, CacheMetrics metrics, TimeProvider time)
{
    // The status line and stored fields of an entry as a hit writes them, built once per entry.
    private readonly ConditionalWeakTable<CacheEntry, StoredHead> _heads = [];

    /// <summary>
    /// What the store has for this request: a fresh hit; with <paramref name="misses"/>, a miss
    /// (no stored response matches it, in this instance or the shared tier, as the cache stage
    /// looks: <see cref="CacheMiddleware"/>) with its key and `fwd` reason; or neither, when the
    /// full path must decide (a stale, `no-cache`, disk-only or partial entry, a request a cache
    /// must weigh).
    /// </summary>
    public async ValueTask<Lookup> LookupAsync(RequestHead head, string scheme, RouteSettings route, bool misses)
    {
        if (head.CacheSensitive || KeyOf(head, scheme) is not { } key)
        {
            return default;
        }

        var variants = await store.GetAsync(key, CancellationToken.None);
        string? acceptEncoding = null;
        foreach (var variant in variants)
        {
            if (!Matches(variant, head, route, ref acceptEncoding))
            {
                continue;
            }

            // The first variant that matches is the one the full path would take (CacheMiddleware).
            var age = Freshness.Age(variant, time.GetUtcNow());
            var ttl = Freshness.Lifetime(variant, route.Cache!.Heuristic) - age;
            // A body only the disk tier holds is streamed from its file by the full path's CacheResponder;
            // a stored part (RFC 9111 §3.3) answers only ranges, which the full path weighs.
            return ttl > TimeSpan.Zero && !variant.Directives.NoCache && variant.InMemory && variant.Ranges is null ? new Lookup(variant, age, ttl, null, null) : default;
        }

        // A stored part the request did not match is still the full path's to weigh (it fills parts, §3.4).
        if (!misses || HoldsPart(variants))
        {
            return default;
        }

        // Nothing here answers: another instance may have stored it (the cache stage asks the shared tier too).
        variants = await store.GetSharedAsync(key, variants, CancellationToken.None);
        foreach (var variant in variants)
        {
            if (Matches(variant, head, route, ref acceptEncoding))
            {
                return default;
            }
        }

        return HoldsPart(variants) ? default : new Lookup(null, default, default, key, variants.Count > 0 ? "vary-miss" : "uri-miss");
    }

    private static bool HoldsPart(IReadOnlyList<CacheEntry> variants)
    {
        foreach (var variant in variants)
        {
            if (variant.Ranges is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The hit's stored head, serialized once per entry.</summary>
    public StoredHead Head(CacheEntry entry) => _heads.GetValue(entry, Serialize);

    /// <summary>
    /// Writes the hit's head into <paramref name="destination"/> (<see cref="StoredHead.Room"/>
    /// bytes): the stored head with Age and Cache-Status; or, for a client that holds the
    /// response, 304 with the same fields, as <see cref="CacheResponder"/> does. Returns the
    /// status, the head's length and the body to send after it (empty for 304, HEAD and bodiless
    /// statuses).
    /// </summary>
    public static (int Status, int HeadLength, ReadOnlyMemory<byte> Body) WriteHead(CacheEntry entry, StoredHead stored, TimeSpan age, TimeSpan ttl, RequestHead head, string requestId, FastFields added, Span<byte> destination)
    {
        var writer = new HeadWriter(destination);
        var notModified = head.HasValidator && entry.Status == 200
            && CacheResponder.NotModified(head.Values("if-none-match"), head.Values("if-modified-since"), entry);
        writer.Write(notModified ? "HTTP/1.1 304 Not Modified\r\n"u8 : stored.StatusLine);
        if (added.DropsAnyResponse)
        {
            // The stored fields less those a header rule (or HSTS) replaces; the rules then add theirs.
            var fields = stored.Fields.AsSpan(0, Math.Max(0, stored.Fields.Length - 2));
            foreach (var range in new LineRanges(fields))
            {
                var line = fields[range];
                if (!added.DropsResponse(line[..line.IndexOf((byte)':')]))
                {
                    writer.Write(line);
                    writer.Write("\r\n"u8);
                }
            }
        }
        else
        {
            writer.Write(stored.Fields);
        }

        writer.Write(added.ResponseLines);
        if (!stored.Dated)
        {
            // Kestrel dates a response that has no Date; so does the fast path.
            writer.Write("Date: "u8);
            writer.WriteAscii(DateValue.Now);
            writer.Write("\r\n"u8);
        }

        writer.Write("Age: "u8);
        writer.WriteNumber((long)Math.Max(0, Math.Floor(age.TotalSeconds)));
        writer.Write("\r\nCache-Status: Portico; hit; ttl="u8);
        writer.WriteNumber((long)Math.Floor(ttl.TotalSeconds));
        writer.Write("\r\nX-Request-Id: "u8);
        writer.WriteAscii(requestId);
        writer.Write("\r\n"u8);
        if (!notModified && entry.Status is not (204 or 304))
        {
            writer.Write("Content-Length: "u8);
            writer.WriteNumber(entry.Body.Length);
            writer.Write("\r\n"u8);
        }

        writer.Write(head.ConnectionLine);

        writer.Write("\r\n"u8);
        if (notModified)
        {
            return (304, writer.Position, default);
        }

        return (entry.Status, writer.Position, head.IsHead ? default : entry.Body);
    }

    public void Record(string route, CacheEntry entry) => metrics.Served(route, CacheOutcome.Hit, entry.Key);

    /// <summary>The primary key (<see cref="CacheKey"/>) of a head: the connection's scheme, its host and its target, which a plain path leaves as routing sees it.</summary>
    internal static string? KeyOf(RequestHead head, string scheme)
    {
        var host = head[head.Host];
        var target = head[head.Target];
        if (host.IsEmpty || !Ascii.IsValid(host) || !Ascii.IsValid(target))
        {
            return null;
        }

        var length = host.Length + target.Length;
        char[]? rented = null;
        var chars = length <= 512 ? stackalloc char[512] : (rented = ArrayPool<char>.Shared.Rent(length));
        Ascii.ToUtf16(host, chars, out _);
        Ascii.ToUtf16(target, chars[host.Length..], out _);
        var key = CacheKey.Of(scheme, chars[..host.Length], default, chars[host.Length..length]);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return key;
    }

    /// <summary>§4.1 by <see cref="VaryKeys.Matches{T}"/>, the request's fields read from its head; <paramref name="acceptEncoding"/> keeps its key from one variant to the next.</summary>
    internal static bool Matches(CacheEntry entry, RequestHead head, RouteSettings route, ref string? acceptEncoding)
    {
        var request = new HeadFields(head, route.Compression, acceptEncoding);
        var matches = VaryKeys.Matches(entry, ref request);
        acceptEncoding = request.Key;
        return matches;
    }

    /// <summary>The fast path's request fields for <see cref="VaryKeys"/>.</summary>
    private struct HeadFields(RequestHead head, CompressionSettings? compression, string? key) : IVaryRequest
    {
        public string? Key { get; private set; } = key;

        public readonly StringValues Values(string name) => head.Values(name);

        public string AcceptEncoding() => Key ??= VaryKeys.AcceptEncodingKey(compression, head.Values("accept-encoding"));
    }

    /// <summary>A lookup's answer: a fresh <paramref name="Hit"/>, or a miss's <paramref name="MissKey"/> and its Cache-Status `fwd` reason, or neither (the full path decides).</summary>
    internal readonly record struct Lookup(CacheEntry? Hit, TimeSpan Age, TimeSpan Ttl, string? MissKey, string? MissReason);

    /// <summary>A stored response's status line and fields as bytes, ready to be written per hit.</summary>
    internal sealed record StoredHead(byte[] StatusLine, byte[] Fields, bool Dated)
    {
        /// <summary>The most <see cref="WriteHead"/> writes with this head.</summary>
        public int Room(string requestId, FastFields added) => StatusLine.Length + Fields.Length + requestId.Length + added.ResponseLines.Length + HeadWriter.Extra;
    }

    /// <summary>"HTTP/1.1 STATUS REASON", and the stored fields less Content-Length (written per hit) and the `no-cache="field"` fields (§5.2.2.4).</summary>
    private static StoredHead Serialize(CacheEntry entry)
    {
        var statusLine = $"HTTP/1.1 {entry.Status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(entry.Status)}\r\n";
        var text = new StringBuilder();
        var dated = false;
        foreach (var (name, values) in entry.Headers)
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || entry.Directives.NoCacheFields.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            dated |= name.Equals("Date", StringComparison.OrdinalIgnoreCase);
            foreach (var value in values)
            {
                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        return new StoredHead(Encoding.ASCII.GetBytes(statusLine), Encoding.Latin1.GetBytes(text.ToString()), dated);
    }
}
