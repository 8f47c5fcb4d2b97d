using System.Buffers;

namespace Portico.Security.Desync;

/// <summary>
/// Follows the HTTP/1.x byte stream of one connection exactly as the client sent it (RFC 9112)
/// and decides how much of it may be handed to the server: a request head only once it is whole
/// and unambiguous, body bytes as their framing checks out. Anything a second parser could read
/// differently (both Content-Length and Transfer-Encoding, a coding other than chunked, a signed
/// or repeated length, bare CR or LF, obs-fold, bad names, oversized chunk lines) stops the
/// stream. Offsets are relative to the start of the reader's current buffer.
/// </summary>
internal sealed class Http1FramingValidator(Http1Limits limits)
{
    // A chunk-size line: up to 15 hex digits plus extensions; RFC 9112 §7.1.1 sets no bound, we do.
    internal const int MaxChunkLine = 1024;

    private State _state = State.Head;
    private long _remaining;
    private Http1Head _head = new();
    private long _sectionBytes;
    private int _emptyLines;
    private long _requestStart;
    private long _handed;

    private enum State
    {
        Head,
        FixedBody,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailers,
        Passthrough,
    }

    /// <summary>Bytes looked at so far.</summary>
    public long Scanned { get; private set; }

    /// <summary>Bytes the server may read.</summary>
    public long Releasable { get; private set; }

    public FramingViolation? Failure { get; private set; }

    /// <summary>True while a request head has begun but is not yet whole (the header timeout runs).</summary>
    public bool HeadPending(long buffered) => _state == State.Head && buffered > Releasable;

    /// <summary>The server consumed <paramref name="bytes"/> from the front of the buffer.</summary>
    public void Consumed(long bytes)
    {
        Scanned -= bytes;
        Releasable -= bytes;
        _requestStart -= bytes;
    }

    /// <summary>
    /// Stops the stream. When the server has seen nothing of the offending request yet (its head
    /// and any body arrived together), it sees none of it and Portico answers; otherwise the
    /// server gets the bytes before the offending one and then the end of input.
    /// </summary>
    public void Fail(int status, string reason, long handed)
    {
        if (Failure is not null)
        {
            return;
        }

        var answerable = _requestStart >= handed;
        if (answerable)
        {
            Releasable = _requestStart;
        }

        Failure = new FramingViolation(status, reason, answerable);
    }

    private void Fail(int status, string reason) => Fail(status, reason, _handed);

    /// <summary>Checks what arrived beyond <see cref="Scanned"/>; <paramref name="handed"/> bytes of the buffer were already given to the server.</summary>
    public void Scan(in ReadOnlySequence<byte> buffer, long handed)
    {
        _handed = handed;
        while (Failure is null && Scanned < buffer.Length)
        {
            var progressed = _state switch
            {
                State.Head => HeadLine(buffer),
                State.FixedBody or State.ChunkData => BodyBytes(buffer),
                State.ChunkSize => ChunkSizeLine(buffer),
                State.ChunkEnd => ChunkEnd(buffer),
                State.Trailers => TrailerLine(buffer),
                _ => Release(buffer.Length),
            };
            if (!progressed)
            {
                return;
            }
        }
    }

    private bool Release(long upTo)
    {
        Scanned = Releasable = upTo;
        return true;
    }

    private bool HeadLine(in ReadOnlySequence<byte> buffer)
    {
        var limit = _head.Lines == 0 ? limits.MaxRequestLine : limits.MaxHeadersSize;
        if (_head.Lines == 0 && !MethodSoFarValid(buffer, limit))
        {
            Fail(400, "malformed method");
            return false;
        }

        if (!TryTakeLine(buffer, limit, out var line))
        {
            if (Failure is null && buffer.Length - Scanned > limit + 2)
            {
                Fail(_head.Lines == 0 ? 414 : 431, _head.Lines == 0 ? "request line too long" : "header section too large");
            }

            return false;
        }

        if (_head.Lines == 0 && line.Length == 0)
        {
            // RFC 9112 §2.2: an empty line before a request line may be ignored (one; not a stream of them).
            if (++_emptyLines > 1)
            {
                Fail(400, "empty lines before the request line");
                return false;
            }

            return true;
        }

        var error = _head.Add(line, limits);
        if (error is not null)
        {
            Fail(error.Value.Status, error.Value.Reason);
            return false;
        }

        if (!_head.Complete)
        {
            return true;
        }

        var framing = _head.Finish();
        _head = new Http1Head();
        _emptyLines = 0;
        switch (framing)
        {
            case { Error: { } e }:
                Fail(e.Status, e.Reason);
                return false;
            case { Upgrade: true }:
                _state = State.Passthrough;
                break;
            case { Chunked: true }:
                _state = State.ChunkSize;
                break;
            case { Length: > 0 }:
                (_state, _remaining) = (State.FixedBody, framing.Length);
                break;
            default:
                _requestStart = Scanned;
                break;
        }

        Releasable = Scanned;
        return true;
    }

    private bool BodyBytes(in ReadOnlySequence<byte> buffer)
    {
        var take = Math.Min(_remaining, buffer.Length - Scanned);
        _remaining -= take;
        Release(Scanned + take);
        if (_remaining == 0 && _state == State.ChunkData)
        {
            _state = State.ChunkEnd;
        }
        else if (_remaining == 0)
        {
            _state = State.Head;
            _requestStart = Scanned;
        }

        return true;
    }

    private bool ChunkSizeLine(in ReadOnlySequence<byte> buffer)
    {
        if (!TryTakeLine(buffer, MaxChunkLine, out var line))
        {
            if (Failure is null && buffer.Length - Scanned > MaxChunkLine + 2)
            {
                Fail(400, "chunk extension too long");
            }

            return false;
        }

        var digits = 0;
        long size = 0;
        while (digits < line.Length && ChunkLine.HexValue(line[digits]) is var v and >= 0)
        {
            size = (size << 4) | (uint)v;
            if (++digits > 15)
            {
                Fail(400, "chunk size too large");
                return false;
            }
        }

        if (digits == 0 || !ChunkLine.ValidExtensions(line[digits..]))
        {
            Fail(400, "malformed chunk size line");
            return false;
        }

        (_state, _remaining) = size == 0 ? (State.Trailers, 0) : (State.ChunkData, size);
        _sectionBytes = 0;
        Releasable = Scanned;
        return true;
    }

    private bool ChunkEnd(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length - Scanned < 2)
        {
            return false;
        }

        Span<byte> crlf = stackalloc byte[2];
        buffer.Slice(Scanned, 2).CopyTo(crlf);
        if (crlf[0] != '\r' || crlf[1] != '\n')
        {
            Fail(400, "chunk data does not match its size");
            return false;
        }

        _state = State.ChunkSize;
        return Release(Scanned + 2);
    }

    private bool TrailerLine(in ReadOnlySequence<byte> buffer)
    {
        if (!TryTakeLine(buffer, limits.MaxHeadersSize, out var line))
        {
            if (Failure is null && buffer.Length - Scanned > limits.MaxHeadersSize + 2)
            {
                Fail(400, "trailer section too large");
            }

            return false;
        }

        if (line.Length == 0)
        {
            _state = State.Head;
            _requestStart = Releasable = Scanned;
            return true;
        }

        _sectionBytes += line.Length + 2;
        var field = Http1Head.ParseField(line, limits);
        if (field.Error is { } e || _sectionBytes > limits.MaxHeadersSize)
        {
            Fail(400, field.Error?.Reason ?? "trailer section too large");
            return false;
        }

        if (field.Name is "content-length" or "transfer-encoding" or "host")
        {
            Fail(400, $"{field.Name} in a trailer section");
            return false;
        }

        return true;
    }

    /// <summary>
    /// Whether what arrived of a request line can still begin with a method (RFC 9110 §9.1: a
    /// token), checked before the line is whole and before anything else about it, so a client
    /// that sends no HTTP at all (a TLS ClientHello on a plain port, binary noise) gets its 400 at
    /// once, as from nginx, instead of when the header timeout ends, and the verdict does not
    /// depend on how much of the line has arrived. A line that starts with CR or LF is an empty
    /// line or a bare LF; <see cref="TryTakeLine"/> judges it.
    /// </summary>
    private bool MethodSoFarValid(in ReadOnlySequence<byte> buffer, long limit)
    {
        var rest = buffer.Slice(Scanned);
        Span<byte> start = stackalloc byte[(int)Math.Min(rest.Length, Math.Min(limit, 64))];
        rest.Slice(0, start.Length).CopyTo(start);
        if (start.IsEmpty || start[0] is (byte)'\r' or (byte)'\n')
        {
            return true;
        }

        foreach (var b in start)
        {
            if (b is (byte)' ' or (byte)'\r' or (byte)'\n')
            {
                return true;
            }

            if (!Http1Head.IsTokenChar(b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Takes the next CRLF-terminated line (without CRLF); refuses bare CR and bare LF.</summary>
    private bool TryTakeLine(in ReadOnlySequence<byte> buffer, long maxLength, out ReadOnlySpan<byte> line)
    {
        line = default;
        var rest = buffer.Slice(Scanned);
        var lf = rest.PositionOf((byte)'\n');
        var window = lf is null ? rest : rest.Slice(0, lf.Value);
        var tooLong = window.Length > maxLength + 1;
        if (tooLong)
        {
            window = window.Slice(0, maxLength + 1);
        }

        var bytes = window.IsSingleSegment ? window.FirstSpan : window.ToArray();
        var cr = bytes.IndexOf((byte)'\r');
        if (cr >= 0 && cr != bytes.Length - 1)
        {
            Fail(400, "bare CR");
            return false;
        }

        if (lf is null || tooLong)
        {
            return false;
        }

        // An LF with no CR before it, including one at the very start of the line (empty bytes).
        if (bytes.IsEmpty || cr != bytes.Length - 1)
        {
            Fail(400, "bare LF");
            return false;
        }

        line = bytes[..^1];
        Scanned += bytes.Length + 1;
        return true;
    }
}
