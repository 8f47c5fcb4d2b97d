using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

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
    /// <summary>Writes the head into an array rented from the shared pool (the caller returns it); its length in <paramref name="length"/>.</summary>
    public static byte[] Write(HttpContext context, out int length)
    {
        var request = context.Features.GetRequiredFeature<IHttpRequestFeature>();
        var method = request.Method;
        var target = request.RawTarget;
        var headers = request.Headers;
        var room = method.Length + target.Length + 16;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                room += name.Length + (value?.Length ?? 0) + 4;
            }
        }

        var bytes = ArrayPool<byte>.Shared.Rent(room);
        var at = Encoding.ASCII.GetBytes(method, bytes);
        bytes[at++] = (byte)' ';
        at += Encoding.Latin1.GetBytes(target, bytes.AsSpan(at));
        at += Copy(" HTTP/1.1\r\n"u8, bytes, at);

        // Host first, as the :authority it came from is first among an HTTP/2 request's fields.
        if (headers.TryGetValue(HeaderNames.Host, out var host))
        {
            at += Line(HeaderNames.Host, host.ToString(), bytes, at);
        }

        foreach (var (name, values) in headers)
        {
            if (name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (values.Count > 1 && name.Equals(HeaderNames.Cookie, StringComparison.OrdinalIgnoreCase))
            {
                // RFC 9113 §8.2.3: an HTTP/2 client may split its cookies into several fields,
                // which are joined with "; " before they go to an HTTP/1.1 server.
                at += Line(name, string.Join("; ", values.ToArray()), bytes, at);
                continue;
            }

            foreach (var value in values)
            {
                at += Line(name, value ?? "", bytes, at);
            }
        }

        at += Copy("\r\n"u8, bytes, at);
        length = at;
        return bytes;
    }

    private static int Line(string name, string value, byte[] bytes, int at)
    {
        var start = at;
        at += Encoding.ASCII.GetBytes(name, bytes.AsSpan(at));
        at += Copy(": "u8, bytes, at);
        at += Encoding.Latin1.GetBytes(value, bytes.AsSpan(at));
        at += Copy("\r\n"u8, bytes, at);
        return at - start;
    }

    private static int Copy(ReadOnlySpan<byte> text, byte[] bytes, int at)
    {
        text.CopyTo(bytes.AsSpan(at));
        return text.Length;
    }
}
