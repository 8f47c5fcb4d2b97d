using System.Buffers;
using System.Buffers.Text;
using Portico.Compression;

namespace Portico.FastPath;

/// <summary>
/// Where an encoder's output collects between two takes (<see cref="FastEncoder"/>): its bytes
/// after room for the chunk-size line, so a take frames them as an HTTP/1.1 chunk (RFC 9112
/// §7.1) in place, without copying them. Its array is rented when first written and given back
/// by <see cref="Release"/>.
/// </summary>
internal sealed class ChunkSink : MemorySink
{
    // Room before the bytes for the chunk-size line: up to 8 hex digits and CRLF.
    private const int SizeRoom = 10;

    // What Frame appends: the chunk's CRLF and the last chunk "0 CRLF CRLF".
    private const int TailRoom = 7;

    private byte[] _buffer = [];
    private int _end = SizeRoom;

    /// <summary>The bytes held since the last <see cref="Reset"/>.</summary>
    public int Held => _end - SizeRoom;

    /// <summary>The bytes held, unframed; valid until the next write or frame.</summary>
    public ReadOnlySpan<byte> Data => Held == 0 ? default : _buffer.AsSpan(SizeRoom, Held);

    public void Reset() => _end = SizeRoom;

    public void Release()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        _end = SizeRoom;
    }

    /// <summary>
    /// The bytes held as a chunk ("size CRLF data CRLF"; nothing when none are held), followed by
    /// the last chunk "0 CRLF CRLF" when <paramref name="last"/>. Valid until the next write.
    /// </summary>
    public ReadOnlyMemory<byte> Frame(bool last)
    {
        var length = Held;
        if (length == 0 && !last)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        Ensure(0);
        var start = SizeRoom;
        if (length > 0)
        {
            Span<byte> digits = stackalloc byte[8];
            Utf8Formatter.TryFormat(length, digits, out var count, new StandardFormat('X'));
            start = SizeRoom - count - 2;
            digits[..count].CopyTo(_buffer.AsSpan(start));
            "\r\n"u8.CopyTo(_buffer.AsSpan(SizeRoom - 2));
            "\r\n"u8.CopyTo(_buffer.AsSpan(_end));
            _end += 2;
        }

        if (last)
        {
            "0\r\n\r\n"u8.CopyTo(_buffer.AsSpan(_end));
            _end += 5;
        }

        return _buffer.AsMemory(start, _end - start);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Ensure(buffer.Length);
        buffer.CopyTo(_buffer.AsSpan(_end));
        _end += buffer.Length;
    }

    // Room for `more` bytes after those held, and for what Frame appends.
    private void Ensure(int more)
    {
        var needed = _end + more + TailRoom;
        if (_buffer.Length >= needed)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 16 * 1024));
        if (_buffer.Length > 0)
        {
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}
