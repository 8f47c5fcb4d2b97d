using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
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
        var headers = response.Headers;
        if (!ShouldEncode(response))
        {
            return Inner.Stream;
        }

        headers.ContentEncoding = coding;
        var lengthKnown = response.ContentLength is not null;
        response.ContentLength = null;
        headers.Remove(HeaderNames.AcceptRanges);

        // RFC 9110 §8.8.3: a strong validator names exact bytes; ours differ from the origin's.
        var etag = headers.ETag.ToString();
        if (etag.Length > 0 && !etag.StartsWith("W/", StringComparison.Ordinal))
        {
            headers.ETag = "W/" + etag;
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Inner.Stream;
        }

        // A body of unknown length may be a stream whose parts must reach the client as they
        // come (events, long polls); the forwarder does not flush, so each write is flushed
        // through the encoder. A body of known length is one document: encoded in bulk.
        _flushEachWrite = !lengthKnown;
        _output = new CountedWrites(Inner.Stream);
        _encoder = ContentCodings.Encoder(coding!, _output, settings.Level);
        _input = new CountedWrites(_encoder);
        return _input;
    }

    private bool ShouldEncode(HttpResponse response)
    {
        var status = response.StatusCode;
        // Never a 206: its Content-Range counts bytes of the representation the origin sent.
        if (status is < 200 or 204 or 206 or 304 || !CompressionNegotiator.IsCompressible(settings, response.ContentType))
        {
            return false;
        }

        var headers = response.Headers;
        if (!headers.Vary.Any(v => v != null && v.Contains("Accept-Encoding", StringComparison.OrdinalIgnoreCase)))
        {
            headers.Append(HeaderNames.Vary, "Accept-Encoding");
        }

        // Already encoded (never re-encode), not acceptable to the client, too small, or the
        // origin forbids transformation (RFC 9110 §7.7).
        var encoded = headers.ContentEncoding.ToString();
        return coding is not null
            && (encoded.Length == 0 || encoded.Equals("identity", StringComparison.OrdinalIgnoreCase))
            && !(response.ContentLength < settings.MinSizeBytes)
            && !headers.CacheControl.ToString().Contains("no-transform", StringComparison.OrdinalIgnoreCase);
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
