using System.Buffers;

namespace Portico.Tls.Acme;

/// <summary>
/// Reads the ALPN protocols a client offers from its first TLS record, before the handshake
/// starts, because the certificate for tls-alpn-01 depends on them (RFC 8737 §3) and the
/// handshake callback is told only the server name. Layout per RFC 8446 §4.1.2 and §4.2,
/// RFC 7301 §3.1.
/// </summary>
internal static class ClientHelloAlpn
{
    public enum Result
    {
        NeedMore,
        Done,
        NotTls,
    }

    public static Result TryRead(ReadOnlySequence<byte> data, out IReadOnlyList<string> protocols)
    {
        protocols = [];
        if (data.Length < 5)
        {
            return Result.NeedMore;
        }

        Span<byte> header = stackalloc byte[5];
        data.Slice(0, 5).CopyTo(header);
        if (header[0] != 0x16)
        {
            return Result.NotTls;
        }

        var length = (header[3] << 8) | header[4];
        if (data.Length < 5 + length)
        {
            return Result.NeedMore;
        }

        var record = data.Slice(5, length).ToArray();
        protocols = Parse(record);
        return Result.Done;
    }

    private static List<string> Parse(byte[] r)
    {
        var result = new List<string>();
        // Handshake type 1 (ClientHello), 3-byte length, version 2, random 32.
        var i = 4 + 2 + 32;
        if (r.Length < i + 1 || r[0] != 1)
        {
            return result;
        }

        i += 1 + r[i];                                      // session id
        if (!Skip16(r, ref i) || i >= r.Length)             // cipher suites
        {
            return result;
        }

        i += 1 + r[i];                                      // compression methods
        if (i + 2 > r.Length)
        {
            return result;
        }

        var end = Math.Min(r.Length, i + 2 + ((r[i] << 8) | r[i + 1]));
        i += 2;
        while (i + 4 <= end)
        {
            var type = (r[i] << 8) | r[i + 1];
            var size = (r[i + 2] << 8) | r[i + 3];
            i += 4;
            if (type == 0x0010 && i + 2 <= end)
            {
                var j = i + 2;
                var listEnd = Math.Min(end, j + ((r[i] << 8) | r[i + 1]));
                while (j < listEnd && j + 1 + r[j] <= listEnd)
                {
                    result.Add(System.Text.Encoding.ASCII.GetString(r, j + 1, r[j]));
                    j += 1 + r[j];
                }
            }

            i += size;
        }

        return result;
    }

    private static bool Skip16(byte[] r, ref int i)
    {
        if (i + 2 > r.Length)
        {
            return false;
        }

        i += 2 + ((r[i] << 8) | r[i + 1]);
        return true;
    }
}
