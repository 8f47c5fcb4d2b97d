using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Portico.Security.Desync;

/// <summary>
/// The header rules of RFC 9113 §8.2 that Kestrel 10 does not enforce on HTTP/2 requests. A
/// request breaking them would be turned into a different HTTP/1.1 request toward a backend (a
/// transfer-encoding header, or a name with CR/LF in it, becomes framing), so it is refused.
/// </summary>
internal static class Http2HeaderCheck
{
    public static string? Find(IHeaderDictionary headers, bool rejectUnderscores)
    {
        foreach (var (name, values) in headers)
        {
            if (Field(name, values, rejectUnderscores) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>
    /// The rule one field breaks, or null. Apart from <see cref="Find"/> so that a caller that
    /// walks the fields anyway (the HTTP/2 fast path's <c>StreamHead</c>) checks them in the same
    /// pass: each walk of Kestrel's request fields after the first of a request allocates an enumerator.
    /// </summary>
    public static string? Field(string name, StringValues values, bool rejectUnderscores)
    {
        // Kestrel keeps known names in their canonical case ("Content-Length"), so case is
        // not judged here; it refuses upper-case names on the wire itself.
        foreach (var c in name)
        {
            if (c > 0x7e || !Http1Head.IsTokenChar((byte)c))
            {
                return "an invalid character in a header name";
            }
        }

        if (rejectUnderscores && name.Contains('_'))
        {
            return "'_' in a header name";
        }

        if (Is(name, "transfer-encoding") || Is(name, "connection") || Is(name, "keep-alive") || Is(name, "proxy-connection") || Is(name, "upgrade"))
        {
            return $"the connection-specific header '{name}' in an HTTP/2 request";
        }

        if (Is(name, "te") && !string.Equals(values.ToString(), "trailers", StringComparison.OrdinalIgnoreCase))
        {
            return "TE other than 'trailers' in an HTTP/2 request";
        }

        if (Is(name, "content-length") && (values.Count != 1 || values[0] is not { Length: > 0 and <= 18 } v || !v.All(char.IsAsciiDigit)))
        {
            return "Content-Length is not a plain decimal number";
        }

        return null;
    }

    private static bool Is(string name, string known) => string.Equals(name, known, StringComparison.OrdinalIgnoreCase);
}
