using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portico.Compression;
using Portico.Configuration.Model;

namespace Portico.Caching;

/// <summary>
/// Matching a request to a stored variant (RFC 9111 §4.1). Field values are normalized
/// (§4.1: combined lines, whitespace around commas removed); `Accept-Encoding` is replaced by
/// the coding compression would pick, so clients that get the same bytes share one variant;
/// `Accept-Language` is read as the language ranges and weights it states (<see cref="LanguageRanges"/>).
/// `Vary: *` never matches. Written once for both paths: each reads the request's fields
/// through an <see cref="IVaryRequest"/> (the full path's header dictionary, the fast path's head).
/// </summary>
internal static class VaryKeys
{
    /// <summary>The request's value for <paramref name="field"/> (a lower-cased name), as a variant is keyed on it.</summary>
    public static string Value<T>(ref T request, string field)
        where T : struct, IVaryRequest
        => field switch
        {
            "accept-encoding" => request.AcceptEncoding(),
            "accept-language" => LanguageRanges.Key(request.Values(field)) ?? Normalize(request.Values(field)),
            _ => Normalize(request.Values(field)),
        };

    /// <summary>Whether the request selects the stored variant <paramref name="entry"/> (§4.1).</summary>
    public static bool Matches<T>(CacheEntry entry, ref T request)
        where T : struct, IVaryRequest
    {
        foreach (var (field, value) in entry.Vary)
        {
            if (field == "*" || Value(ref request, field) != value)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The request's Accept-Encoding as variants are keyed on it: the coding compression would pick
    /// on a compressing route ("identity" for none), else the acceptable codings (<see cref="AcceptedCodings"/>).
    /// </summary>
    public static string AcceptEncodingKey(CompressionSettings? compression, StringValues acceptEncoding)
        => compression is not null ? CompressionNegotiator.Choose(compression, acceptEncoding) ?? "identity" : AcceptedCodings(acceptEncoding);

    /// <summary>The full path's <see cref="Value{T}"/>; <paramref name="acceptEncoding"/> is the request's <see cref="AcceptEncodingKey"/>.</summary>
    public static string Value(IHeaderDictionary headers, string field, string acceptEncoding)
    {
        var request = new Headers(headers, acceptEncoding);
        return Value(ref request, field);
    }

    /// <summary>The Vary field names of a response, lower-cased; ["*"] for `Vary: *`.</summary>
    public static string[] Fields(StringValues vary)
    {
        var fields = vary.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(f => f.ToLowerInvariant()).Distinct().ToArray();
        return fields.Contains("*") ? ["*"] : fields;
    }

    /// <summary>The full path's <see cref="Matches{T}"/>.</summary>
    public static bool Matches(CacheEntry entry, IHeaderDictionary headers, string acceptEncoding)
    {
        var request = new Headers(headers, acceptEncoding);
        return Matches(entry, ref request);
    }

    /// <summary>The full path's request fields.</summary>
    private struct Headers(IHeaderDictionary headers, string acceptEncoding) : IVaryRequest
    {
        public readonly StringValues Values(string field) => headers[field];

        public readonly string AcceptEncoding() => acceptEncoding;
    }

    /// <summary>
    /// Accept-Encoding on a route without compression: the acceptable codings (q-value not 0),
    /// lower-cased, without duplicates, sorted ordinally, joined by ','. Computed for every
    /// request on a cached route, so it works on spans and allocates only the result.
    /// </summary>
    public static string AcceptedCodings(StringValues acceptEncoding)
    {
        var text = acceptEncoding.Count == 1 ? acceptEncoding[0] ?? "" : string.Join(',', acceptEncoding.ToArray());
        var source = text.AsSpan();
        var most = source.Count(',') + 1;
        var names = most <= 32 ? stackalloc Range[32] : new Range[most];
        var count = 0;
        foreach (var part in source.Split(','))
        {
            var (offset, length) = part.GetOffsetAndLength(source.Length);
            var item = source.Slice(offset, length);
            var semi = item.IndexOf(';');
            if (semi >= 0 && ZeroWeight(item[(semi + 1)..]))
            {
                continue;
            }

            var name = semi < 0 ? item : item[..semi];
            var start = offset + (name.Length - name.TrimStart().Length);
            name = name.Trim();
            if (name.IsEmpty)
            {
                continue;
            }

            // Insertion sort by the lower-cased name, dropping duplicates (a handful of codings).
            var at = count;
            var duplicate = false;
            while (at > 0)
            {
                var order = CompareLower(source[names[at - 1]], name);
                duplicate = order == 0;
                if (order <= 0)
                {
                    break;
                }

                at--;
            }

            if (duplicate)
            {
                continue;
            }

            names[at..count].CopyTo(names[(at + 1)..]);
            names[at] = start..(start + name.Length);
            count++;
        }

        if (count == 0)
        {
            return "";
        }

        var size = count - 1;
        foreach (var range in names[..count])
        {
            size += range.GetOffsetAndLength(source.Length).Length;
        }

        var result = size <= 256 ? stackalloc char[256] : new char[size];
        var written = 0;
        foreach (var range in names[..count])
        {
            if (written > 0)
            {
                result[written++] = ',';
            }

            written += source[range].ToLowerInvariant(result[written..]);
        }

        return new string(result[..written]);
    }

    /// <summary>A weight of "q=0", "q=0.", "q=0.0" … "q=0.000" (RFC 9110 §12.4.2): not acceptable.</summary>
    private static bool ZeroWeight(ReadOnlySpan<char> parameters)
    {
        var p = parameters.Trim();
        if (p.Length < 2 || (p[0] != 'q' && p[0] != 'Q'))
        {
            return false;
        }

        p = p[1..].TrimStart();
        if (p.IsEmpty || p[0] != '=')
        {
            return false;
        }

        p = p[1..].Trim();
        return p.Length is >= 1 and <= 5 && p[0] == '0' && (p.Length == 1 || (p[1] == '.' && !p[2..].ContainsAnyExcept('0')));
    }

    private static int CompareLower(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            var d = char.ToLowerInvariant(a[i]) - char.ToLowerInvariant(b[i]);
            if (d != 0)
            {
                return d;
            }
        }

        return a.Length - b.Length;
    }

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
