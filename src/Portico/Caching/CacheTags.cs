using Microsoft.AspNetCore.Http;

namespace Portico.Caching;

/// <summary>
/// The tags a backend puts on a response in `cache.tagField` (`Cache-Tag` by default). Tags are
/// separated by commas or spaces, so Cloudflare's `Cache-Tag: a,b` and Fastly's `Surrogate-Key:
/// a b` both read; several field lines are one list. Tags match as written (case-sensitive).
/// </summary>
internal static class CacheTags
{
    private static readonly char[] Separators = [',', ' ', '\t'];

    /// <summary>The response's tags, and the field removed: it is for this cache, never for the client.</summary>
    public static IReadOnlyList<string> Take(IHeaderDictionary headers, string field)
    {
        if (!headers.Remove(field, out var values))
        {
            return [];
        }

        return Split(values);
    }

    /// <summary>Each value split on commas and spaces, empty pieces and repeats left out.</summary>
    public static string[] Split(IEnumerable<string?> values)
        => values.SelectMany(v => (v ?? "").Split(Separators, StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal).ToArray();
}
