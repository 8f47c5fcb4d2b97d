namespace Portico.Compression;

/// <summary>A pass-through that counts the bytes written, to measure an encoder's input and output.</summary>
internal sealed class CountedWrites(Stream inner) : WriteOnlyStream
{
    public long Bytes { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Bytes += buffer.Length;
        inner.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Bytes += buffer.Length;
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
}
