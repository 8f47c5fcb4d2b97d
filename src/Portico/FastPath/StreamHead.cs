using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Portico.Security.Desync;

namespace Portico.FastPath;

/// <summary>
/// An HTTP/2 request's head written as the HTTP/1.1 head it is forwarded as (RFC 9113 §8.3.1:
/// `:method`, `:path` and `:authority` become the request line and Host), so that the fast
/// path's one parser (<see cref="RequestHead"/>) checks it and everything after it (routing,
/// the cache key, the forwarded fields, the request written to the backend) reads it as it
/// reads an HTTP/1.1 client's. Kestrel has already decoded and checked the HTTP/2 fields.
/// </summary>
internal static class StreamHead
{
    /// <summary>
    /// Writes the head into an array rented from the shared pool (the caller returns it); its
    /// length in <paramref name="length"/>. Null (nothing rented) when a field breaks a rule of
    /// RFC 9113 §8.2 (<see cref="Http2HeaderCheck"/>): the fields are checked in the same walk
    /// that writes them, as every walk of Kestrel's request fields after a request's first
    /// allocates an enumerator.
    /// </summary>
    public static byte[]? Write(HttpContext context, bool rejectUnderscores, out int length)
    {
        var request = context.Features.GetRequiredFeature<IHttpRequestFeature>();
        var method = request.Method;
        var target = request.RawTarget;
        var headers = request.Headers;
        var bytes = ArrayPool<byte>.Shared.Rent(method.Length + target.Length + InitialFieldRoom);
        var at = Encoding.ASCII.GetBytes(method, bytes);
        bytes[at++] = (byte)' ';
        at += Encoding.Latin1.GetBytes(target, bytes.AsSpan(at));
        at += Copy(" HTTP/1.1\r\n"u8, bytes, at);

        // Host first, as the :authority it came from is first among an HTTP/2 request's fields.
        if (headers.TryGetValue(HeaderNames.Host, out var host))
        {
            at = Line(HeaderNames.Host, host.ToString(), ref bytes, at);
        }

        foreach (var (name, values) in headers)
        {
            if (Http2HeaderCheck.Field(name, values, rejectUnderscores) is not null)
            {
                ArrayPool<byte>.Shared.Return(bytes);
                length = 0;
                return null;
            }

            if (name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (values.Count > 1 && name.Equals(HeaderNames.Cookie, StringComparison.OrdinalIgnoreCase))
            {
                // RFC 9113 §8.2.3: an HTTP/2 client may split its cookies into several fields,
                // which are joined with "; " before they go to an HTTP/1.1 server.
                at = Line(name, string.Join("; ", values.ToArray()), ref bytes, at);
                continue;
            }

            foreach (var value in values)
            {
                at = Line(name, value ?? "", ref bytes, at);
            }
        }

        at = Room(ref bytes, at, 2);
        at += Copy("\r\n"u8, bytes, at);
        length = at;
        return bytes;
    }

    // Room for the fields of a short request; a larger head moves to a larger array. Small on
    // purpose: with a few hundred requests in flight the shared pool runs out of arrays of a
    // size and allocates, so a generous first guess cost more bytes per request (2 KiB, in 4 KiB
    // arrays, measured 3 KB more per h2c request than this) than an occasional move.
    private const int InitialFieldRoom = 256;

    /// <summary>Makes room for <paramref name="needed"/> more bytes after <paramref name="at"/>, moving to a larger rented array if need be.</summary>
    private static int Room(ref byte[] bytes, int at, int needed)
    {
        if (bytes.Length - at < needed)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(bytes.Length * 2, at + needed));
            bytes.AsSpan(0, at).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(bytes);
            bytes = larger;
        }

        return at;
    }

    /// <summary>Writes "name: value" and its CRLF; where the head goes on.</summary>
    private static int Line(string name, string value, ref byte[] bytes, int at)
    {
        at = Room(ref bytes, at, name.Length + value.Length + 4);
        at += Encoding.ASCII.GetBytes(name, bytes.AsSpan(at));
        at += Copy(": "u8, bytes, at);
        at += Encoding.Latin1.GetBytes(value, bytes.AsSpan(at));
        at += Copy("\r\n"u8, bytes, at);
        return at;
    }

    private static int Copy(ReadOnlySpan<byte> text, byte[] bytes, int at)
    {
        text.CopyTo(bytes.AsSpan(at));
        return text.Length;
    }
}
