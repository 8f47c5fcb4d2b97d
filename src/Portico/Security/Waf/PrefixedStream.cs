using System.Buffers;

namespace Portico.Security.Waf;

/// <summary>
/// The request body as the backend reads it after inspection: first the prefix the WAF read
/// (at most its body limit), then the rest straight from the client, so a large body still
/// streams. The pooled prefix buffer is returned on dispose.
/// </summary>
internal sealed class PrefixedStream(byte[] prefix, int length, Stream rest) : Stream
{
    private int _position;
    private bool _returned;

    /// <summary>The bytes read ahead for inspection.</summary>
    public ReadOnlySpan<byte> Prefix => prefix.AsSpan(0, length);

    /// <summary>The same bytes, for a reader that wants a stream over them.</summary>
    public ArraySegment<byte> PrefixSegment => new(prefix, 0, length);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (TakePrefix(buffer) is var n and > 0)
        {
            return n;
        }

        return rest.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (TakePrefix(buffer.Span) is var n and > 0)
        {
            return ValueTask.FromResult(n);
        }

        return rest.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int TakePrefix(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, length - _position);
        if (n <= 0 || _returned)
        {
            return 0;
        }

        prefix.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_returned)
        {
            _returned = true;
            ArrayPool<byte>.Shared.Return(prefix);
        }

        base.Dispose(disposing);
    }
}
