using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration.Model;

namespace Portico.Compression;

/// <summary>
/// Decides, when the response starts, whether to encode it, and if so sets the headers and puts
/// the encoder between the stages below and the client. Flushes pass through the encoder, so a
/// streamed response stays streamed.
/// </summary>
internal sealed class CompressingResponseBody(HttpContext context, IHttpResponseBodyFeature inner, CompressionSettings settings, string? coding, CompressionMetrics metrics)
    : DeferredResponseBody(inner)
{
    private CountedWrites? _input;
    private CountedWrites? _output;
    private Stream? _encoder;
    private bool _flushEachWrite;

    protected override Stream OnStart()
    {
        var response = context.Response;
        var lengthKnown = response.ContentLength is not null;
        // A HEAD's head is changed as its GET's would be; there is no body to encode.
        if (!ResponseEncoding.Encode(response, settings, coding).Encodes || HttpMethods.IsHead(context.Request.Method))
        {
            return Inner.Stream;
        }

        _flushEachWrite = ResponseEncoding.FlushesEachWrite(lengthKnown);
        _output = new CountedWrites(Inner.Stream);
        _encoder = ContentCodings.Encoder(coding!, _output, settings.Level);
        _input = new CountedWrites(_encoder);
        return _input;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await base.WriteAsync(buffer, cancellationToken);
        if (_flushEachWrite)
        {
            await Target.FlushAsync(cancellationToken);
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        base.Write(buffer);
        if (_flushEachWrite)
        {
            Target.Flush();
        }
    }

    public override async ValueTask FinishAsync()
    {
        await base.FinishAsync();
        if (_encoder is not null)
        {
            await _encoder.DisposeAsync();
            metrics.Compressed(coding!, _input!.Bytes, _output!.Bytes);
            _encoder = null;
        }
    }
}
