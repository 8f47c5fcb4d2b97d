using System.Text;
using Microsoft.Net.Http.Headers;

namespace Portico.Security.Waf;

/// <summary>
/// The first part of a multipart/form-data body (RFC 7578) made whole for inspection: the
/// engine yields no argument at all from a body without its close delimiter, so a body cut at
/// the inspection limit is closed after the part it was cut in (kept up to the cut, which the
/// engine then sees in full) or before it, when the cut fell in that part's header.
/// </summary>
internal static class MultipartPrefix
{
    /// <summary>The boundary of a multipart Content-Type (quotes removed); null for any other type.</summary>
    public static string? Boundary(string? contentType)
        => MediaTypeHeaderValue.TryParse(contentType, out var type)
            && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            && HeaderUtilities.RemoveQuotes(type.Boundary) is { Length: > 0 } boundary
                ? boundary.ToString()
                : null;

    /// <summary>The close delimiter the body gets: CRLF, "--", the boundary, "--", CRLF (RFC 2046 §5.1.1).</summary>
    public static byte[] Close(string boundary) => Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");

    /// <summary>
    /// How much of <paramref name="prefix"/> goes before <see cref="Close"/>: up to a cut inside a
    /// part's content, minus any trailing bytes that begin a delimiter; up to the CRLF before the
    /// last delimiter, when the cut is inside that part's header. A prefix without any delimiter is
    /// kept whole, and the engine reports it as unparseable.
    /// </summary>
    public static int Keep(ReadOnlySpan<byte> prefix, string boundary)
    {
        Span<byte> dash = stackalloc byte[boundary.Length + 2];
        dash[0] = dash[1] = (byte)'-';
        Encoding.ASCII.GetBytes(boundary, dash[2..]);

        var last = LastDelimiter(prefix, dash);
        if (last < 0)
        {
            return prefix.Length;
        }

        var afterLine = prefix[last..].IndexOf("\r\n"u8);
        var headerEnd = afterLine < 0 ? -1 : prefix[(last + afterLine)..].IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0)
        {
            // Cut in the delimiter line or the part's header: the part is left out, and the CRLF
            // before its delimiter is the one the close delimiter begins with.
            return Math.Max(0, last - 2);
        }

        // Cut in the part's content: trailing bytes that could begin CRLF "--" boundary belong to
        // a delimiter the cut split, not to the content.
        for (var n = Math.Min(dash.Length + 1, prefix.Length); n > 0; n--)
        {
            if (StartsDelimiter(prefix[^n..], dash))
            {
                return prefix.Length - n;
            }
        }

        return prefix.Length;
    }

    /// <summary>The offset of the last "--boundary" that starts a line, or -1.</summary>
    private static int LastDelimiter(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> dash)
    {
        var end = prefix.Length;
        while (end > 0 && prefix[..end].LastIndexOf(dash) is var at and >= 0)
        {
            if (at == 0 || prefix[at - 1] == '\n')
            {
                return at;
            }

            end = at + dash.Length - 1;
        }

        return -1;
    }

    /// <summary>Whether <paramref name="tail"/> is a beginning of CRLF "--boundary".</summary>
    private static bool StartsDelimiter(ReadOnlySpan<byte> tail, ReadOnlySpan<byte> dash)
    {
        ReadOnlySpan<byte> crlf = "\r\n"u8;
        var n = Math.Min(tail.Length, 2);
        return tail[..n].SequenceEqual(crlf[..n]) && tail[n..].SequenceEqual(dash[..(tail.Length - n)]);
    }
}
