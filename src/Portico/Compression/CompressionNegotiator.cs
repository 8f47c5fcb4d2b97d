using Microsoft.Extensions.Primitives;
using Portico.Configuration.Model;

namespace Portico.Compression;

/// <summary>
/// Picks the content coding for a request from `Accept-Encoding` (RFC 9110 §12.5.3): the
/// highest q-value among the route's encodings, `*` standing for any not named, ties going to
/// the route's order. The cache keys variants on this choice rather than on the raw header.
/// </summary>
internal static class CompressionNegotiator
{
    /// <summary>The coding to send, or null for the identity body.</summary>
    public static string? Choose(CompressionSettings settings, StringValues acceptEncoding)
    {
        if (StringValues.IsNullOrEmpty(acceptEncoding))
        {
            return null;
        }

        Span<double> q = stackalloc double[settings.Encodings.Count];
        q.Fill(-1);
        var star = -1.0;
        foreach (var line in acceptEncoding)
        {
            foreach (var item in (line ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var semi = item.IndexOf(';');
                var name = (semi < 0 ? item : item[..semi]).Trim().ToLowerInvariant();
                var weight = semi < 0 ? 1.0 : QValue(item[(semi + 1)..]);
                if (name == "x-gzip")
                {
                    name = "gzip";
                }

                if (name == "*")
                {
                    star = weight;
                    continue;
                }

                for (var i = 0; i < q.Length; i++)
                {
                    if (settings.Encodings[i] == name)
                    {
                        q[i] = weight;
                    }
                }
            }
        }

        string? best = null;
        var bestQ = 0.0;
        for (var i = 0; i < q.Length; i++)
        {
            var weight = q[i] >= 0 ? q[i] : Math.Max(star, 0);
            if (weight > bestQ)
            {
                (best, bestQ) = (settings.Encodings[i], weight);
            }
        }

        return best;
    }

    /// <summary>Whether the route compresses this media type (the part of Content-Type before any ';').</summary>
    public static bool IsCompressible(CompressionSettings settings, string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var semi = contentType.IndexOf(';');
        var type = (semi < 0 ? contentType : contentType[..semi]).Trim().ToLowerInvariant();
        foreach (var pattern in settings.MimeTypes)
        {
            var star = pattern.IndexOf('*');
            if (star < 0 ? type == pattern : type.StartsWith(pattern[..star], StringComparison.Ordinal) && type.EndsWith(pattern[(star + 1)..], StringComparison.Ordinal) && type.Length >= pattern.Length - 1)
            {
                return true;
            }
        }

        return false;
    }

    private static double QValue(string parameters)
    {
        foreach (var p in parameters.Split(';', StringSplitOptions.TrimEntries))
        {
            if (p.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                && double.TryParse(p.AsSpan(2), System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var v))
            {
                return Math.Clamp(v, 0, 1);
            }
        }

        return 1;
    }
}
