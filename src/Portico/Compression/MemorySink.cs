namespace Portico.Compression;

/// <summary>
/// A write-only stream that keeps what is written in memory for its owner to take (an encoder's
/// output, a rewritten piece): a write completes at once, and a flush has nowhere further to go.
/// </summary>
internal abstract class MemorySink : WriteOnlyStream
{
    public sealed override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public sealed override void Flush()
    {
    }
}
