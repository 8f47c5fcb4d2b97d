using System.Text;
using Microsoft.AspNetCore.Http;

namespace Portico.Forwarding;

/// <summary>
/// Which backend response fields never reach the client, for both paths (the full path's
/// <see cref="HiddenHeadersTransform"/> and the fast path's response head): the hop-by-hop
/// fields, which describe the backend's connection and not the client's (RFC 9110 §7.6.1), the
/// fields the response's own Connection field names (§7.6.1: a proxy removes them before
/// forwarding, so the cache, which sees the response after this, never stores them either), and
/// the ones `proxy.hideResponseHeaders` names (Server, X-Powered-By, … that reveal the backend).
/// </summary>
internal static class HiddenHeaders
{
    /// <summary>
    /// Transfer-Encoding is hop-by-hop too, but each path frames the body itself (Kestrel
    /// re-frames; the fast path relays the backend's chunks as they are, with their field).
    /// </summary>
    private static readonly string[] HopByHop = ["Connection", "Keep-Alive", "Proxy-Connection", "Upgrade"];

    /// <summary>
    /// Named in Connection, these still stay: each path frames the body it sends from them
    /// (Content-Length) or in place of them (Transfer-Encoding), so a backend cannot unframe a response.
    /// </summary>
    private static readonly string[] Framing = ["Content-Length", "Transfer-Encoding"];

    /// <summary>Whether the field <paramref name="name"/> stays behind.</summary>
    public static bool Hides(ReadOnlySpan<byte> name, IReadOnlyList<string> hidden) => In(name, HopByHop) || In(name, hidden);

    /// <summary>
    /// Removes what stays behind from a response's fields. A 101 (Switching Protocols) keeps its
    /// Connection and Upgrade: they are the switch (RFC 9110 §7.8), and the connection is the client's from then on.
    /// </summary>
    /// <param name="connection">The backend's Connection lines (the full path's backend client keeps them apart from the fields copied).</param>
    public static void Remove(IHeaderDictionary headers, int status, IReadOnlyList<string> hidden, IEnumerable<string> connection)
    {
        if (status != StatusCodes.Status101SwitchingProtocols)
        {
            foreach (var line in connection)
            {
                foreach (var option in (line ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!Framing.Contains(option, StringComparer.OrdinalIgnoreCase))
                    {
                        headers.Remove(option);
                    }
                }
            }

            foreach (var name in HopByHop)
            {
                headers.Remove(name);
            }
        }

        for (var i = 0; i < hidden.Count; i++)
        {
            headers.Remove(hidden[i]);
        }
    }

    /// <summary>Whether the Connection field value <paramref name="connection"/> names the field <paramref name="name"/> (not a framing field).</summary>
    public static bool NamedIn(ReadOnlySpan<byte> connection, ReadOnlySpan<byte> name)
    {
        if (In(name, Framing))
        {
            return false;
        }

        foreach (var range in connection.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(connection[range].Trim(" \t"u8), name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool In(ReadOnlySpan<byte> name, IReadOnlyList<string> names)
    {
        // By index: a foreach over the interface would allocate an enumerator per header line.
        for (var i = 0; i < names.Count; i++)
        {
            var h = names[i];
            if (name.Length == h.Length && Ascii.EqualsIgnoreCase(name, h))
            {
                return true;
            }
        }

        return false;
    }
}
