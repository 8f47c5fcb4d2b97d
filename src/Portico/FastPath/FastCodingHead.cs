using System.Text;
using Portico.Compression;
using Portico.Forwarding;

namespace Portico.FastPath;

/// <summary>
/// Compression's part of a response head on the fast path: the verdict of
/// <see cref="ResponseEncoding.Judge"/> read from the backend's head as the full path's
/// compression stage reads it from the header dictionary (after the hidden fields are gone,
/// before the response header rules run), and the fields an encoded response loses, changes and gains.
/// </summary>
internal static class FastCodingHead
{
    /// <summary>The most the fields written here add to a head: Content-Encoding, Vary, Transfer-Encoding, an ETag's "W/".</summary>
    public const int Room = 96;

    /// <summary>
    /// The verdict on a backend response head's <paramref name="fields"/> (its lines, without the
    /// status line and the blank line) for the request's coding in <paramref name="added"/>.
    /// </summary>
    /// <param name="length">The backend's Content-Length; -1 when it sent none.</param>
    /// <param name="namesFields">A Connection line names other fields, which are hidden too.</param>
    public static EncodingVerdict Judge(ReadOnlySpan<byte> fields, int status, long length, IReadOnlyList<string> hidden, bool namesFields, FastFields added)
    {
        string? type = null;
        string? encoding = null;
        var varies = false;
        var noTransform = false;
        foreach (var range in new LineRanges(fields))
        {
            var line = fields[range];
            var colon = line.IndexOf((byte)':');
            var name = line[..colon];
            if (HiddenHeaders.Hides(name, hidden) || (namesFields && ResponseFraming.NamedByConnection(fields, name)))
            {
                continue;
            }

            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "content-type"u8))
            {
                type = Joined(type, value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "content-encoding"u8))
            {
                encoding = Joined(encoding, value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "vary"u8))
            {
                varies |= ResponseEncoding.NamesAcceptEncoding(Encoding.Latin1.GetString(value));
            }
            else if (Ascii.EqualsIgnoreCase(name, "cache-control"u8))
            {
                noTransform |= ResponseEncoding.ForbidsTransform(Encoding.Latin1.GetString(value));
            }
        }

        return ResponseEncoding.Judge(added.Compression!, added.Coding, status, type, varies, encoding ?? "", length >= 0 ? length : null, noTransform);
    }

    /// <summary>
    /// Writes the backend's line <paramref name="line"/> (named <paramref name="name"/>) as an
    /// encoded response has it, and says whether it did: the framing fields and Accept-Ranges
    /// are dropped (the encoded body is sent chunked, and byte ranges of the original mean nothing
    /// in it), Content-Encoding ("identity" at most) is replaced, and a strong ETag weakened.
    /// False: the line is the caller's to copy as it is.
    /// </summary>
    public static bool Rewrites(ref HeadWriter writer, ReadOnlySpan<byte> line, ReadOnlySpan<byte> name)
    {
        if (Ascii.EqualsIgnoreCase(name, "content-length"u8) || Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8)
            || Ascii.EqualsIgnoreCase(name, "accept-ranges"u8) || Ascii.EqualsIgnoreCase(name, "content-encoding"u8))
        {
            return true;
        }

        if (!Ascii.EqualsIgnoreCase(name, "etag"u8))
        {
            return false;
        }

        var value = line[(name.Length + 1)..].Trim(" \t"u8);
        writer.Write("ETag: "u8);
        if (ResponseEncoding.IsStrong(Encoding.Latin1.GetString(value)))
        {
            writer.Write("W/"u8);
        }

        writer.Write(value);
        writer.Write("\r\n"u8);
        return true;
    }

    /// <summary>The fields the verdict adds after the backend's: Content-Encoding and the chunked framing of an encoded body (none for HEAD, as Kestrel frames none), and Vary.</summary>
    public static void WriteAdded(ref HeadWriter writer, EncodingVerdict verdict, string? coding, bool headRequest)
    {
        if (verdict.Encodes)
        {
            writer.Write("Content-Encoding: "u8);
            writer.WriteAscii(coding!);
            writer.Write("\r\n"u8);
            if (!headRequest)
            {
                writer.Write("Transfer-Encoding: chunked\r\n"u8);
            }
        }

        if (verdict.AddsVary)
        {
            writer.Write("Vary: Accept-Encoding\r\n"u8);
        }
    }

    private static string Joined(string? before, ReadOnlySpan<byte> value)
        => before is null ? Encoding.Latin1.GetString(value) : before + "," + Encoding.Latin1.GetString(value);
}
