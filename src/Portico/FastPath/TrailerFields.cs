using System.Collections.Frozen;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Portico.FastPath;

/// <summary>
/// An origin's HTTP/1.1 trailer section (RFC 9112 §7.1.2) as the HTTP/2 fast path passes it on:
/// the stream's trailers (RFC 9113 §8.1), with the fields the full pipeline leaves out left out
/// the same way. The full pipeline reads trailers with .NET's HTTP client, which drops the fields
/// it knows must not be trailers (RFC 9110 §6.5.1: framing, routing, request modifiers,
/// authentication, response controls, Content-*), and YARP then skips the hop-by-hop and
/// proxy-level fields it skips in a response's head. Neither hides `proxy.hideResponseHeaders` in
/// trailers, so this does not either.
/// </summary>
internal static class TrailerFields
{
    /// <summary>
    /// The most trailer bytes gathered for one response, the .NET HTTP client's default limit on
    /// a response's fields (64 KiB), which the full pipeline's backend client keeps.
    /// </summary>
    public const int MaxBytes = 64 * 1024;

    private static readonly FrozenSet<string> Dropped = new[]
    {
        // What the HTTP client drops from a trailer section (its known fields marked not for
        // trailers; RFC 9110 §6.5.1).
        "Age", "Authorization", "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Length",
        "Content-Location", "Content-Range", "Content-Type", "Date", "Expect", "Expires", "Host", "If-Match",
        "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Location", "Max-Forwards",
        "Pragma", "Proxy-Authenticate", "Proxy-Authorization", "Range", "Retry-After", "Set-Cookie",
        "Set-Cookie2", "TE", "Trailer", "Transfer-Encoding", "Vary", "WWW-Authenticate", "Warning",

        // What YARP never copies from a response: hop-by-hop and proxy-level fields.
        "Connection", "Keep-Alive", "Upgrade", "Proxy-Connection", "Proxy-Authentication-Info",
        "Proxy-Features", "Proxy-Instruction", "Security-Scheme", "ALPN", "Close", "Alt-Svc",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds the fields of <paramref name="section"/> (lines, each ending CRLF) that pass to <paramref name="trailers"/>.</summary>
    public static void Add(ReadOnlySpan<byte> section, IHeaderDictionary trailers)
    {
        while (!section.IsEmpty)
        {
            var end = section.IndexOf("\r\n"u8);
            var line = section[..end];
            section = section[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = Encoding.ASCII.GetString(line[..colon]);
            var value = Encoding.Latin1.GetString(line[(colon + 1)..].Trim(" \t"u8));
            if (!Dropped.Contains(name))
            {
                trailers.Append(name, value);
            }
        }
    }
}
