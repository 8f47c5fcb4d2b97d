using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Portico.Compression;

/// <summary>
/// A response body that lets a stage decide where the bytes go at the moment the response
/// starts (first write, flush or start), when status and headers are final for the stages
/// below it but not yet sent. Used by compression (encoder) and the cache (tee, swallow), which sits outside it and stores what it encodes.
/// A response with no body starts when the stage calls <see cref="FinishAsync"/>.
/// </summary>
internal abstract class DeferredResponseBody(IHttpResponseBodyFeature inner) : WriteOnlyStream, IHttpResponseBodyFeature
{
    private Stream? _target;
    private PipeWriter? _writer;

    protected IHttpResponseBodyFeature Inner { get; } = inner;

    public bool Started => _target is not null;

    /// <summary>Where body bytes go; deciding it on first use.</summary>
    protected Stream Target => _target ??= OnStart();

    Stream IHttpResponseBodyFeature.Stream => this;

    PipeWriter IHttpResponseBodyFeature.Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

    /// <summary>Called once, when the response starts: returns the stream the body goes to.</summary>
    protected abstract Stream OnStart();

    /// <summary>Called by the owning stage after the stages below returned: starts a bodiless response, ends encoders.</summary>
    public virtual async ValueTask FinishAsync()
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync();
        }

        _ = Target;
    }

    public void DisableBuffering() => Inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => Target.FlushAsync(cancellationToken);

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
        => SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken);

    public async Task CompleteAsync()
    {
        await FinishAsync();
        await Inner.CompleteAsync();
    }

    public override void Write(ReadOnlySpan<byte> buffer) => Target.Write(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        => Target.WriteAsync(buffer, cancellationToken);

    public override void Flush() => Target.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => Target.FlushAsync(cancellationToken);
}
