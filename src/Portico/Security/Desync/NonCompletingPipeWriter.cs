using System.IO.Pipelines;

namespace Portico.Security.Desync;

/// <summary>
/// The connection's output as Kestrel writes it, except that Kestrel finishing does not close it:
/// after Kestrel is done, <see cref="DesyncConnectionMiddleware"/> may still append its answer.
/// </summary>
internal sealed class NonCompletingPipeWriter(PipeWriter inner) : PipeWriter
{
    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override void Advance(int bytes) => inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        => inner.WriteAsync(source, cancellationToken);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
    }

    public override ValueTask CompleteAsync(Exception? exception = null) => ValueTask.CompletedTask;
}
