using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// Matching a request to a stored variant (RFC 9111 §4.1). Field values are normalized
/// (§4.1: combined lines, whitespace around commas removed); `Accept-Encoding` is replaced by
/// the coding compression would pick, so clients that get the same bytes share one variant.
/// `Vary: *` never matches.
/// </summary>
internal static class VaryKeys
{
    /// <summary>The request's value for <paramref name="field"/>; <paramref name="acceptEncoding"/> is the request's pre-computed Accept-Encoding key.</summary>
    public static string Value(IHeaderDictionary headers, string field, string acceptEncoding)
        => field.Equals("accept-encoding", StringComparison.OrdinalIgnoreCase) ? acceptEncoding : Normalize(headers[field]);

    /// <summary>The Vary field names of a response, lower-cased; ["*"] for `Vary: *`.</summary>
    public static string[] Fields(StringValues vary)
    {
        var fields = vary.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(f => f.ToLowerInvariant()).Distinct().ToArray();
        return fields.Contains("*") ? ["*"] : fields;
    }

    public static bool Matches(CacheEntry entry, IHeaderDictionary headers, string acceptEncoding)
    {
        foreach (var (field, value) in entry.Vary)
        {
            if (field == "*" || Value(headers, field, acceptEncoding) != value)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Accept-Encoding on a route without compression: the acceptable codings, lower-cased and sorted.</summary>
    public static string AcceptedCodings(StringValues acceptEncoding)
        => string.Join(',', acceptEncoding.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(i => !i.Replace(" ", "").EndsWith(";q=0", StringComparison.OrdinalIgnoreCase) && !i.Replace(" ", "").EndsWith(";q=0.0", StringComparison.OrdinalIgnoreCase))
            .Select(i => i.Split(';')[0].Trim().ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal));

    internal static string Normalize(StringValues values)
    {
        if (values.Count == 0)
        {
            return "";
        }

        var parts = values.SelectMany(v => (v ?? "").Split(',')).Select(p => string.Join(' ', p.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        return string.Join(',', parts);
    }
}
