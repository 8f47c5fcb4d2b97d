using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Portico.Caching;

/// <summary>
/// Which 206 responses the cache keeps (RFC 9111 §3.3) and when two of them are parts of one
/// representation (§3.4). A part is kept when it is one range, `Content-Range: bytes a-b/len` with
/// the complete length known (RFC 9110 §14.4), and carries a strong entity-tag: only a strong
/// validator says two responses are byte for byte the same representation (RFC 9110 §8.8.1), so
/// only then may their bytes sit side by side. A multipart/byteranges 206 (several ranges) and a
/// part whose length is `*` are passed on unstored.
/// </summary>
internal static class PartialResponses
{
    /// <summary>The range and complete length of a response to GET that §3.3 lets the cache keep; null otherwise.</summary>
    public static (long From, long To, long Length)? Part(HttpContext context)
    {
        var headers = context.Response.Headers;
        return HttpMethods.IsGet(context.Request.Method) && headers.ContentRange.Count == 1 && StrongTag(headers.ETag.ToString()) is not null
            && !(headers.ContentType.ToString() is { } type && type.StartsWith("multipart/byteranges", StringComparison.OrdinalIgnoreCase))
            ? ContentRange(headers.ContentRange.ToString())
            : null;
    }

    /// <summary>Fields that describe one 206, not the representation: not stored with a part.</summary>
    public static bool PerPart(string name)
        => name.Equals(HeaderNames.ContentRange, StringComparison.OrdinalIgnoreCase) || name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase);

    /// <summary>§3.4: whether a stored partial entry and a new part are of the same representation (same strong entity-tag and complete length).</summary>
    public static bool SameRepresentation(CacheEntry stored, CacheEntry part)
        => stored.Ranges is { } held && part.Ranges is { } added && held.Length == added.Length
            && StrongTag(stored.Header(HeaderNames.ETag)) is { } tag && tag == StrongTag(part.Header(HeaderNames.ETag));

    /// <summary>The entity-tag when it is a strong one (RFC 9110 §8.8.3: quoted, no `W/`), else null.</summary>
    public static string? StrongTag(string? etag)
        => etag is { Length: >= 2 } e && e[0] == '"' && e[^1] == '"' && e.IndexOf('"', 1) == e.Length - 1 ? e : null;

    /// <summary>
    /// `bytes first-last/complete` (RFC 9110 §14.4), with first ≤ last &lt; complete; null for
    /// anything else (another unit, an unsatisfied-range `*/len`, an unknown length `*`).
    /// </summary>
    public static (long From, long To, long Length)? ContentRange(string value)
    {
        if (!value.StartsWith("bytes ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var spec = value.AsSpan(6).Trim();
        var dash = spec.IndexOf('-');
        var slash = spec.IndexOf('/');
        if (dash <= 0 || slash < dash
            || !long.TryParse(spec[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !long.TryParse(spec[(dash + 1)..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var to)
            || !long.TryParse(spec[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            return null;
        }

        return from <= to && to < length ? (from, to, length) : null;
    }
}
