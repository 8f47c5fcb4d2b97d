using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// Entity-tags (RFC 9110 §8.8.3) as the cache compares and sends them. An entity-tag is a
/// quoted opaque-tag, `W/` in front when weak; its characters include ',' so a list of them
/// (If-None-Match) splits only outside quotes. A value without quotes is not an entity-tag;
/// origins still send them (`ETag: abc`), and the HTTP WG cache tests
/// (conditional-etag-*-unquoted) check that a cache reads one as the opaque-tag it would be
/// if quoted: so `abc` and `"abc"` are the same strong tag here, and a stored `abc` is
/// revalidated with `If-None-Match: "abc"`.
/// </summary>
internal static class EntityTags
{
    /// <summary>
    /// RFC 9110 §13.1.2: whether an If-None-Match list holds `*` or a tag that matches
    /// <paramref name="stored"/> by weak comparison (the opaque-tags are equal, either may be weak).
    /// </summary>
    public static bool AnyWeakMatch(StringValues ifNoneMatch, string? stored)
    {
        var opaque = stored is null ? null : Opaque(stored);
        foreach (var line in ifNoneMatch)
        {
            foreach (var tag in Items(line ?? ""))
            {
                if (tag == "*" || (opaque is not null && Opaque(tag) == opaque))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The stored ETag as an entity-tag to send in If-None-Match: an unquoted one quoted, anything else as stored.</summary>
    public static string ForValidation(string stored)
    {
        var value = stored.Trim();
        return IsBare(value) ? $"\"{value}\"" : value;
    }

    /// <summary>The quoted opaque-tag without its weakness flag (`W/"a"` and `"a"` give `"a"`; bare `a` gives `"a"`).</summary>
    internal static string Opaque(string tag)
    {
        var value = tag.Trim();
        if (value.StartsWith("W/\"", StringComparison.Ordinal))
        {
            return value[2..];
        }

        return IsBare(value) ? $"\"{value}\"" : value;
    }

    /// <summary>The items of a list of entity-tags, split at commas outside quotes, trimmed, empty ones dropped.</summary>
    internal static IEnumerable<string> Items(string list)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i <= list.Length; i++)
        {
            if (i < list.Length && list[i] == '"')
            {
                quoted = !quoted;
            }
            else if (i == list.Length || (list[i] == ',' && !quoted))
            {
                var item = list[start..i].Trim();
                if (item.Length > 0)
                {
                    yield return item;
                }

                start = i + 1;
            }
        }
    }

    // Unquoted, and nothing but etagc (%x21 / %x23-7E / obs-text): what would be an opaque-tag's content.
    private static bool IsBare(string value)
        => value.Length > 0 && value != "*" && !value.Any(c => c is <= ' ' or '"' or (char)0x7F);
}
