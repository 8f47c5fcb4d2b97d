using System.Text;
using Portico.Compression;
using Portico.Forwarding;
using Portico.Security.Desync;

namespace Portico.FastPath;

/// <summary>How a relayed response is framed, read from the backend's head (<see cref="Read"/>) before the client's head is written (<see cref="Write"/>).</summary>
/// <param name="Mode">How the backend frames the body (the client gets it framed alike, unless it is encoded).</param>
/// <param name="HeadBytes">The length of the head written for the client (0 until it is written, and when Invalid).</param>
/// <param name="Encoded">The body is to be encoded in the request's coding (FastFields.Coding) and sent chunked.</param>
/// <param name="Coding">Compression's verdict on the head (default when the route does not compress).</param>
/// <param name="NamesFields">A Connection line names other fields, which are hidden too.</param>
/// <param name="Http10">The client spoke HTTP/1.0: a persistent answer says `Connection: keep-alive`, as Kestrel's does.</param>
/// <param name="Dechunked">
/// An HTTP/1.0 client and a chunked backend answer: the client gets no Transfer-Encoding and the
/// body's data alone, close-delimited (trailers dropped), as Kestrel answers an HTTP/1.0 request
/// whose length it does not know.
/// </param>
/// <param name="EmptyLength">De-chunked, and the body came whole with the head and empty: sent with `Content-Length: 0` (<see cref="EndsEmpty"/>).</param>
internal readonly record struct ResponseFraming(
    BodyMode Mode, long Length, bool BackendCloses, bool ClientCloses, int HeadBytes = 0, bool Encoded = false, EncodingVerdict Coding = default, bool NamesFields = false,
    bool Http10 = false, bool Dechunked = false, bool EmptyLength = false)
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    // Response fields are checked for syntax only; their sizes are bounded by the head buffer.
    private static readonly Http1Limits ResponseFieldLimits = new(long.MaxValue, int.MaxValue, long.MaxValue, RejectUnderscoreNames: false);

    /// <summary>The most <see cref="Write"/> writes for a backend head of <paramref name="headLength"/> bytes.</summary>
    public static int Room(int headLength, string requestId, FastFields fields)
        => headLength + requestId.Length + fields.ResponseLines.Length + HeadWriter.Extra + (fields.Compression is null ? 0 : FastCodingHead.Room);

    /// <summary>
    /// Checks the backend's head and reads its framing and, on a route that compresses,
    /// compression's verdict on it (FastCodingHead), from the fields as the full path's stage sees
    /// them; Mode Invalid when the head is malformed, and then nothing is to be written.
    /// </summary>
    public static ResponseFraming Read(ReadOnlySpan<byte> head, int status, bool headRequest, bool clientClose, IReadOnlyList<string> hidden, FastFields added, bool http10 = false)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = head[..lineEnd];
        foreach (var b in statusLine)
        {
            if ((b < 0x20 && b != '\t') || b == 0x7f)
            {
                return new ResponseFraming(BodyMode.Invalid, 0, true, true);
            }
        }

        long length = -1;
        var chunked = false;
        var otherCoding = false;
        var backendCloses = head[5] == '1' && head[7] == '0';
        var namesFields = false;

        // Every line checked and the framing read, so nothing is written for a bad head.
        var fields = head[(lineEnd + 2)..^2];
        foreach (var range in new LineRanges(fields))
        {
            var line = fields[range];
            var field = Http1Head.ParseField(line, ResponseFieldLimits);
            if (field.Error is not null)
            {
                return new ResponseFraming(BodyMode.Invalid, 0, true, true);
            }

            var colon = line.IndexOf((byte)':');
            var name = line[..colon];
            var value = line[field.Value];
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (value.IsEmpty || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0 || value.Length > 18)
                {
                    return new ResponseFraming(BodyMode.Invalid, 0, true, true);
                }

                var parsed = long.Parse(value, provider: System.Globalization.CultureInfo.InvariantCulture);
                if (length >= 0 && parsed != length)
                {
                    return new ResponseFraming(BodyMode.Invalid, 0, true, true);
                }

                length = parsed;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                var last = value.LastIndexOf((byte)',');
                chunked = Ascii.EqualsIgnoreCase(value[(last + 1)..].Trim(" \t"u8), "chunked"u8);
                otherCoding |= !chunked;
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                foreach (var token in value.Split((byte)','))
                {
                    var t = value[token].Trim(" \t"u8);
                    backendCloses |= Ascii.EqualsIgnoreCase(t, "close"u8);
                    if (Ascii.EqualsIgnoreCase(t, "keep-alive"u8))
                    {
                        backendCloses = false;
                    }

                    namesFields |= !t.IsEmpty && !Ascii.EqualsIgnoreCase(t, "close"u8) && !Ascii.EqualsIgnoreCase(t, "keep-alive"u8);
                }
            }
        }

        var mode = headRequest || status is 204 or 304 ? BodyMode.None
            : chunked && !otherCoding ? BodyMode.Chunked
            : otherCoding ? BodyMode.UntilClose
            : length >= 0 ? BodyMode.Length
            : BodyMode.UntilClose;
        if (chunked && length >= 0 && mode != BodyMode.None)
        {
            // Both framings on one response: the response-splitting shape; refuse it.
            return new ResponseFraming(BodyMode.Invalid, 0, true, true);
        }

        // An encoded body goes to the client chunked, whatever framing the backend chose.
        var coding = added.Compression is null ? default : FastCodingHead.Judge(fields, status, length, hidden, namesFields, added);
        var encoded = coding.Encodes && mode != BodyMode.None;
        // An HTTP/1.0 client cannot be sent chunks: the data goes close-delimited (never encoded:
        // FastPathHandler.Decide keeps HTTP/1.0 requests of routes that compress on the full path).
        var dechunked = http10 && chunked;
        var clientCloses = clientClose || (mode == BodyMode.UntilClose && !encoded) || (dechunked && mode == BodyMode.Chunked);
        return new ResponseFraming(mode, Math.Max(0, length), backendCloses, clientCloses, 0, encoded, coding, namesFields, http10, dechunked);
    }

    /// <summary>
    /// A de-chunked body whose end came with the head (<paramref name="first"/>: the bytes after it)
    /// and held no data: the full path has written nothing when such a body ends, so Kestrel sends
    /// `Content-Length: 0` and keeps the connection as the request asked (<paramref name="clientClose"/>).
    /// </summary>
    public ResponseFraming EndsEmpty(ReadOnlySpan<byte> first, bool clientClose)
    {
        if (!Dechunked || Mode != BodyMode.Chunked)
        {
            return this;
        }

        var probe = default(ChunkedScanner);
        return probe.Scan(first) > 0 && probe.Done && probe.DataBytes == 0 ? this with { ClientCloses = clientClose, EmptyLength = true } : this;
    }

    /// <summary>
    /// Writes the client's response head for a head <see cref="Read"/> found well-formed: the
    /// backend's status line and fields, without hop-by-hop fields and the ones
    /// `proxy.hideResponseHeaders` names, with the request's stage fields (<paramref name="added"/>:
    /// header rules, HSTS, Cache-Status), plus X-Request-Id and, when the backend sent none, Date;
    /// and, on a route that compresses, what compression changes (FastCodingHead). Returns the
    /// framing with the head's length.
    /// </summary>
    public ResponseFraming Write(ReadOnlySpan<byte> head, bool headRequest, string requestId, IReadOnlyList<string> hidden, FastFields added, Span<byte> destination)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = head[..lineEnd];
        var fields = head[(lineEnd + 2)..^2];
        var hasDate = false;

        // No longer than the backend's head, less what is dropped, plus ours: the destination holds Room.
        var writer = new HeadWriter(destination);
        writer.Write("HTTP/1.1"u8);
        writer.Write(statusLine[8..]);
        writer.Write(Crlf);
        var drops = added.DropsAnyResponse;
        foreach (var range in new LineRanges(fields))
        {
            var line = fields[range];
            var name = line[..line.IndexOf((byte)':')];
            if (HiddenHeaders.Hides(name, hidden) || (NamesFields && NamedByConnection(fields, name)) || (drops && added.DropsResponse(name)))
            {
                continue;
            }

            if (Coding.Encodes && FastCodingHead.Rewrites(ref writer, line, name))
            {
                continue;
            }

            if (Dechunked && Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                continue;
            }

            hasDate |= Ascii.EqualsIgnoreCase(name, "date"u8);
            writer.Write(line);
            writer.Write(Crlf);
        }

        FastCodingHead.WriteAdded(ref writer, Coding, added.Coding, headRequest);

        // The header rules run after the hidden fields are gone, so a rule may set one again.
        writer.Write(added.ResponseLines);

        writer.Write("X-Request-Id: "u8);
        writer.WriteAscii(requestId);
        writer.Write(Crlf);
        if (!hasDate)
        {
            writer.Write("Date: "u8);
            writer.WriteAscii(DateValue.Now);
            writer.Write(Crlf);
        }

        if (EmptyLength)
        {
            writer.Write("Content-Length: 0\r\n"u8);
        }

        if (ClientCloses)
        {
            writer.Write("Connection: close\r\n"u8);
        }
        else if (Http10)
        {
            writer.Write("Connection: keep-alive\r\n"u8);
        }

        writer.Write(Crlf);
        return this with { HeadBytes = writer.Position };
    }

    /// <summary>Whether a Connection line of the head names the field (RFC 9110 §7.6.1); only asked when one names any.</summary>
    internal static bool NamedByConnection(ReadOnlySpan<byte> fields, ReadOnlySpan<byte> name)
    {
        foreach (var range in new LineRanges(fields))
        {
            var line = fields[range];
            var colon = line.IndexOf((byte)':');
            if (Ascii.EqualsIgnoreCase(line[..colon], "connection"u8) && HiddenHeaders.NamedIn(line[(colon + 1)..], name))
            {
                return true;
            }
        }

        return false;
    }
}
