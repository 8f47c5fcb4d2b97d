namespace Portico.Mirroring;

/// <summary>
/// The client's request body as the forwarder reads it, copied on the way into the mirror copy's
/// buffer, which never grows past `maxBodySize`: the client's upload costs one memory copy per
/// read and waits for nothing else. At the body's end the copy is queued; past the limit the
/// copy is dropped, nothing more is copied, and the body streams on untouched.
/// </summary>
internal sealed class MirrorBody(Stream inner, MirrorCopy copy, long? declaredLength, MirrorDispatcher dispatcher) : Stream
{
    private byte[] _buffer = [];
    private int _length;

    // 1 once the copy is queued or dropped: the forwarder's last read and Finish may race, and only one may decide.
    private int _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Copy(buffer.AsSpan(offset, read), count == 0);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Copy(buffer.Span[..read], buffer.IsEmpty);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>After the forwarder is done with the request: a copy whose body never reached its end is dropped.</summary>
    public void Finish()
    {
        Drop(MirrorDrop.BodyIncomplete);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Copy(ReadOnlySpan<byte> read, bool askedForNothing)
    {
        if (Volatile.Read(ref _ended) == 1)
        {
            return;
        }

        if (read.IsEmpty)
        {
            // A read of nothing into a buffer of something is the body's end.
            if (!askedForNothing && Interlocked.Exchange(ref _ended, 1) == 0)
            {
                copy.Body = _buffer;
                copy.BodyLength = _length;
                dispatcher.Enqueue(copy);
            }

            return;
        }

        var limit = copy.Settings.MaxBodySize;
        if (_length + (long)read.Length > limit)
        {
            // Let the buffer go now: the rest of a long upload may take a while.
            _buffer = [];
            Drop(MirrorDrop.BodyTooLarge);
            return;
        }

        if (_length + read.Length > _buffer.Length)
        {
            // The declared length is the size when known; otherwise double, never past the limit.
            var needed = _length + (long)read.Length;
            var size = declaredLength >= needed ? declaredLength.Value : Math.Min(limit, Math.Max(needed, Math.Max(4096, _buffer.Length * 2L)));
            Array.Resize(ref _buffer, (int)size);
        }

        read.CopyTo(_buffer.AsSpan(_length));
        _length += read.Length;
    }

    private void Drop(MirrorDrop reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            dispatcher.Dropped(copy.Route, copy.Cluster.ClusterId, reason);
        }
    }
}
