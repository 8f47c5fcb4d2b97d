namespace Portico.Security.Desync;

/// <summary>
/// The Host field's syntax (RFC 9110 §7.2: uri-host [ ":" port ], RFC 3986 §3.2.2), checked on
/// the bytes before anything routes by it, so the fast path and the full path refuse the same
/// values: an empty value, control characters, spaces, '/', '@', '%' (a DNS name holds no
/// percent-encoding, RFC 1123 §2.1, and a proxy must not decode one into a NUL), any byte past
/// ASCII, or a port that is not digits. nginx refuses these with 400 too.
/// </summary>
internal static class HostField
{
    public static bool IsValid(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        int hostEnd;
        if (value[0] == '[')
        {
            // IP-literal: an IPv6 address in brackets (IPvFuture is not routable here).
            hostEnd = value.IndexOf((byte)']') + 1;
            if (hostEnd < 3 || value[1..(hostEnd - 1)].IndexOfAnyExcept(Ipv6Chars) >= 0)
            {
                return false;
            }
        }
        else
        {
            hostEnd = value.IndexOf((byte)':');
            hostEnd = hostEnd < 0 ? value.Length : hostEnd;
            if (hostEnd == 0 || value[..hostEnd].IndexOfAnyExcept(RegNameChars) >= 0)
            {
                return false;
            }
        }

        if (hostEnd == value.Length)
        {
            return true;
        }

        // port = *DIGIT (RFC 3986 §3.2.3), but an empty one after ':' is refused, as Kestrel does.
        var port = value[(hostEnd + 1)..];
        return value[hostEnd] == ':' && !port.IsEmpty && port.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
    }

    // reg-name = *( unreserved / sub-delims ), without pct-encoded (see above).
    private static readonly System.Buffers.SearchValues<byte> RegNameChars = System.Buffers.SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;="u8);

    private static readonly System.Buffers.SearchValues<byte> Ipv6Chars = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF:."u8);
}
