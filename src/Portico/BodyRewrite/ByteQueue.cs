using Portico.Compression;

namespace Portico.BodyRewrite;

/// <summary>Bytes written and not yet read out: where a rewritten (and maybe re-encoded) piece waits for the reader.</summary>
internal sealed class ByteQueue : MemorySink
{
    private byte[] _bytes = new byte[16 * 1024];
    private int _start;
    private int _end;

    public int Count => _end - _start;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_end + buffer.Length > _bytes.Length)
        {
            // Move what is left to the front, growing only when a piece and its leftover exceed the buffer.
            var grown = Count + buffer.Length > _bytes.Length ? new byte[Math.Max(_bytes.Length * 2, Count + buffer.Length)] : _bytes;
            _bytes.AsSpan(_start, Count).CopyTo(grown);
            (_bytes, _end, _start) = (grown, Count, 0);
        }

        buffer.CopyTo(_bytes.AsSpan(_end));
        _end += buffer.Length;
    }

    /// <summary>Moves as many bytes as fit into <paramref name="destination"/>.</summary>
    public int Take(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, Count);
        _bytes.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        if (_start == _end)
        {
            (_start, _end) = (0, 0);
        }

        return n;
    }
}
