using System.Buffers;
using Portico.Security.Desync;

namespace Portico.FastPath;

/// <summary>
/// Follows a chunked body (RFC 9112 §7.1) as its bytes pass through unchanged, to find where the
/// message ends and to count its data bytes. Chunk extensions and trailer fields are passed on.
/// </summary>
internal struct ChunkedScanner
{
    private const int MaxSizeDigits = 15;

    private State _state;
    private long _remaining;
    private int _digits;

    private enum State
    {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        TrailerLine,
        TrailerLf,
        FinalLf,
        Done,
    }

    /// <summary>Data bytes seen so far (without the chunk framing).</summary>
    public long DataBytes { get; private set; }

    public readonly bool Done => _state == State.Done;

    /// <summary>
    /// Scans <paramref name="bytes"/>: returns how many of them belong to this message (all of
    /// them while it goes on, fewer when it ends inside them), or -1 when the framing is broken.
    /// </summary>
    /// <param name="data">Given the chunks' data without their framing, when the body is decoded rather than passed on (an HTTP/2 client's DATA frames).</param>
    /// <param name="trailer">Given the trailer section's lines (each with its CRLF, without the blank line that ends it), when the body is decoded.</param>
    public int Scan(ReadOnlySpan<byte> bytes, IBufferWriter<byte>? data = null, IBufferWriter<byte>? trailer = null)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_state == State.Data)
            {
                var take = (int)Math.Min(_remaining, bytes.Length - i);
                data?.Write(bytes.Slice(i, take));
                i += take;
                _remaining -= take;
                DataBytes += take;
                if (_remaining == 0)
                {
                    _state = State.DataCr;
                }

                continue;
            }

            var b = bytes[i++];
            switch (_state)
            {
                case State.Size:
                    if (ChunkLine.HexValue(b) is var digit and >= 0)
                    {
                        if (++_digits > MaxSizeDigits)
                        {
                            return -1;
                        }

                        _remaining = (_remaining * 16) + digit;
                    }
                    else if (_digits > 0 && b is (byte)';' or (byte)' ' or (byte)'\t')
                    {
                        _state = State.Extension;
                    }
                    else if (_digits > 0 && b == '\r')
                    {
                        _state = State.SizeLf;
                    }
                    else
                    {
                        return -1;
                    }

                    break;
                case State.Extension:
                    if (b == '\r')
                    {
                        _state = State.SizeLf;
                    }
                    else if (b == '\n' || (b < 0x20 && b != '\t'))
                    {
                        return -1;
                    }

                    break;
                case State.SizeLf:
                    if (b != '\n')
                    {
                        return -1;
                    }

                    _state = _remaining == 0 ? State.TrailerStart : State.Data;
                    break;
                case State.DataCr:
                    if (b != '\r')
                    {
                        return -1;
                    }

                    _state = State.DataLf;
                    break;
                case State.DataLf:
                    if (b != '\n')
                    {
                        return -1;
                    }

                    _state = State.Size;
                    _digits = 0;
                    _remaining = 0;
                    break;
                case State.TrailerStart:
                    _state = b == '\r' ? State.FinalLf : State.TrailerLine;
                    if (_state == State.TrailerLine)
                    {
                        trailer?.Write([b]);
                    }

                    break;
                case State.TrailerLine:
                    if (b == '\r')
                    {
                        _state = State.TrailerLf;
                    }
                    else if (b == '\n')
                    {
                        return -1;
                    }

                    trailer?.Write([b]);
                    break;
                case State.TrailerLf:
                    if (b != '\n')
                    {
                        return -1;
                    }

                    trailer?.Write([b]);
                    _state = State.TrailerStart;
                    break;
                case State.FinalLf:
                    if (b != '\n')
                    {
                        return -1;
                    }

                    _state = State.Done;
                    return i;
                case State.Done:
                    return i - 1;
            }
        }

        return i;
    }
}
