using System.Buffers;
using Microsoft.Extensions.Primitives;
using Portico.Compression;

namespace Portico.Security.Waf;

/// <summary>
/// A request body in a content coding (RFC 9110 §8.4: `Content-Encoding: gzip`) reaches a backend
/// that decodes it, so the engine must see it decoded too, or an attack gzipped past it goes
/// unseen. The decoded bytes are bounded by the body limit like any body (a few KiB of gzip can
/// decode to gigabytes); the backend still gets the bytes the client sent.
/// </summary>
internal sealed class EncodedBody : IDisposable
{
    private byte[]? _buffer;

    private EncodedBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    /// <summary>The decoded bytes, at most the limit and one more.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

    /// <summary>
    /// The codings of <paramref name="contentEncoding"/> in the order they were applied: empty for
    /// none or `identity`, null when one is not a coding Portico decodes (RFC 9110 §8.4.1).
    /// </summary>
    public static IReadOnlyList<string>? Codings(StringValues contentEncoding)
    {
        List<string>? codings = null;
        foreach (var value in contentEncoding)
        {
            foreach (var name in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                switch (BodyCodings.Of(name))
                {
                    case null:
                        return null;
                    case "":
                        break;
                    case var coding:
                        (codings ??= []).Add(coding);
                        break;
                }
            }
        }

        return codings ?? (IReadOnlyList<string>)[];
    }

    /// <summary>
    /// <paramref name="encoded"/> decoded through <paramref name="codings"/> (the last applied is
    /// undone first), up to <paramref name="limit"/> bytes and one more, which tells a body ending
    /// at the limit from a longer one. Null when the bytes are not in those codings. A body
    /// <paramref name="cut"/> at the limit before decoding may end mid-stream: what decoded
    /// before the cut is kept.
    /// </summary>
    public static EncodedBody? Decode(ArraySegment<byte> encoded, IReadOnlyList<string> codings, long limit, bool cut)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, 16 * 1024));
        var decoded = 0;
        try
        {
            Stream stream = new MemoryStream(encoded.Array!, encoded.Offset, encoded.Count, writable: false);
            for (var i = codings.Count - 1; i >= 0; i--)
            {
                stream = BodyCodings.Decoder(codings[i], stream);
            }

            using (stream)
            {
                while (decoded <= limit)
                {
                    if (decoded == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, (long)buffer.Length * 2));
                        buffer.AsSpan(0, decoded).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    var read = stream.Read(buffer, decoded, (int)Math.Min(buffer.Length, limit + 1) - decoded);
                    if (read == 0)
                    {
                        break;
                    }

                    decoded += read;
                }
            }

            return new EncodedBody(buffer, decoded);
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException or InvalidOperationException)
        {
            if (cut)
            {
                return new EncodedBody(buffer, decoded);
            }

            ArrayPool<byte>.Shared.Return(buffer);
            return null;
        }
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
