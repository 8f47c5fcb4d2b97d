namespace Portico.Caching;

/// <summary>Lets a body copied from a file (or assembled from parts) be written through a <see cref="DiskBodyWriter"/>.</summary>
internal sealed class DiskWriterStream(DiskBodyWriter writer) : Compression.WriteOnlyStream
{
    public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => writer.WriteAsync(buffer, cancellationToken);

    public override void Flush()
    {
    }
}
