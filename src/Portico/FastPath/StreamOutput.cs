using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Portico.FastPath;

/// <summary>
/// The client's output for an HTTP/2 request on the fast path. The fast path's writers
/// (<see cref="FastRelay"/>, <see cref="FastLocalAnswer"/>, <see cref="FastCacheResponder"/>)
/// write an HTTP/1.1 response; this writer turns it into the stream's response through the
/// request's features: the status and fields once the head is whole, then the body, its chunked
/// framing removed (RFC 9113 §8.1: HTTP/2 frames the body itself) and its trailer section sent
/// as the stream's trailers (<see cref="TrailerFields"/>). Connection-specific fields are dropped
/// (RFC 9113 §8.2.2: an HTTP/2 message must not carry them). A length-delimited body is read straight into the stream's own buffers, as on HTTP/1.1 into the connection's.
/// Nothing reaches the client before the head is whole, so a request the fast path gives up on
/// before that is handed to the full pipeline untouched. Reused by the requests of one
/// connection, one at a time (<see cref="Begin"/>).
/// </summary>
internal sealed class StreamOutput : PipeWriter
{
    private HttpResponse? _response;
    private ArrayBufferWriter<byte>? _trailer;
    private PipeWriter _body = Null;
    private byte[] _staging = [];
    private int _staged;
    private Phase _phase;
    private ChunkedScanner _chunked;
    private readonly StreamFieldTexts _texts = new();

    // Where nothing may go: the writer between requests.
    private static PipeWriter Null { get; } = PipeWriter.Create(Stream.Null);

    private enum Phase
    {
        Head,
        Identity,
        Chunked,
    }

    /// <summary>A request's response begins: <paramref name="context"/>'s, or none (null) once it is over.</summary>
    public void Begin(HttpContext? context)
    {
        _response = context?.Response;
        _body = context?.Features.GetRequiredFeature<IHttpResponseBodyFeature>().Writer ?? Null;

        // The staging array is the request's only (a chunked body's reads take 64 KiB), not
        // kept by an idle connection.
        if (_staging.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_staging);
        }

        _staging = context is null ? [] : ArrayPool<byte>.Shared.Rent(4096);
        _phase = Phase.Head;
        _staged = 0;
        _chunked = default;
        _trailer?.ResetWrittenCount();
    }

    public override void Advance(int bytes)
    {
        switch (_phase)
        {
            case Phase.Identity:
                _body.Advance(bytes);
                break;
            case Phase.Chunked:
                Decode(_staging.AsSpan(0, bytes));
                break;
            default:
                _staged += bytes;
                TakeHead();
                break;
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_phase == Phase.Identity)
        {
            return _body.GetMemory(sizeHint);
        }

        // The head is gathered at the end of what is staged; a chunked body is decoded from the
        // start of the array, one write at a time.
        var offset = _phase == Phase.Head ? _staged : 0;
        var needed = offset + Math.Max(sizeHint, 4096);
        if (_staging.Length < needed)
        {
            var larger = ArrayPool<byte>.Shared.Rent(needed);
            _staging.AsSpan(0, offset).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_staging);
            _staging = larger;
        }

        return _staging.AsMemory(offset);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        => _phase == Phase.Head ? new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false)) : _body.FlushAsync(cancellationToken);

    public override void CancelPendingFlush() => _body.CancelPendingFlush();

    /// <summary>
    /// The response is whole: <paramref name="tail"/> is written and nothing flushed, so the stream
    /// ends when the request delegate returns with the body's last bytes and END_STREAM in one DATA
    /// frame (RFC 9113 §8.1), and any trailers with them. Flushed here, the body went without
    /// END_STREAM, and an empty DATA frame followed to end the stream, whenever Kestrel's frame
    /// writer took the flush before the delegate returned (a second frame, and often a second
    /// send). Before the head is whole this flushes. False when the client is gone.
    /// </summary>
    public ValueTask<bool> EndAsync(ReadOnlyMemory<byte> tail)
    {
        if (!tail.IsEmpty)
        {
            this.Write(tail.Span);
        }

        return _phase == Phase.Head ? FastOutput.FlushAsync(this) : new ValueTask<bool>(true);
    }

    // The stream ends when the request delegate returns, as for any response.
    public override void Complete(Exception? exception = null)
    {
    }

    private void TakeHead()
    {
        var staged = _staging.AsSpan(0, _staged);
        var end = staged.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return;
        }

        // "HTTP/1.1 NNN reason": the writers above wrote it, so its shape is known.
        var head = staged[..(end + 2)];
        var lineEnd = head.IndexOf("\r\n"u8);
        var response = _response!;
        response.StatusCode = ((head[9] - '0') * 100) + ((head[10] - '0') * 10) + (head[11] - '0');
        var chunked = false;
        var headers = response.Headers;
        var fields = head[(lineEnd + 2)..];
        while (!fields.IsEmpty)
        {
            var next = fields.IndexOf("\r\n"u8);
            var line = fields[..next];
            fields = fields[(next + 2)..];
            var colon = line.IndexOf((byte)':');
            var name = line[..colon];
            if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                // The writers pass on only chunked as the last coding (ResponseFraming).
                chunked = true;
                continue;
            }

            if (ConnectionSpecific(name))
            {
                continue;
            }

            var text = _texts.Name(name, out var known);
            headers.Append(text, _texts.Value(known, line[(colon + 1)..].Trim(" \t"u8)));
        }

        var rest = staged[(end + 4)..];
        _phase = chunked ? Phase.Chunked : Phase.Identity;
        if (chunked)
        {
            Decode(rest);
        }
        else if (!rest.IsEmpty)
        {
            _body.Write(rest);
        }

        _staged = 0;
    }

    /// <summary>A chunked body's bytes: its data to the stream, and once it ends, its trailer fields as the stream's trailers.</summary>
    private void Decode(ReadOnlySpan<byte> bytes)
    {
        var done = _chunked.Done;
        _trailer ??= new ArrayBufferWriter<byte>();
        _chunked.Scan(bytes, _body, _trailer);
        if (_trailer.WrittenCount > TrailerFields.MaxBytes)
        {
            // As the full pipeline's backend client refuses fields beyond its limit: the response
            // cannot be completed, so the stream is reset rather than ended without them.
            _response!.HttpContext.Abort();
            _trailer.ResetWrittenCount();
        }
        else if (!done && _chunked.Done && _trailer.WrittenCount > 0
                 && _response!.HttpContext.Features.Get<IHttpResponseTrailersFeature>() is { Trailers: { IsReadOnly: false } trailers })
        {
            TrailerFields.Add(_trailer.WrittenSpan, trailers);
        }
    }

    /// <summary>RFC 9113 §8.2.2's connection-specific fields (Transfer-Encoding is read above).</summary>
    private static bool ConnectionSpecific(ReadOnlySpan<byte> name)
        => Ascii.EqualsIgnoreCase(name, "connection"u8)
           || Ascii.EqualsIgnoreCase(name, "keep-alive"u8)
           || Ascii.EqualsIgnoreCase(name, "proxy-connection"u8)
           || Ascii.EqualsIgnoreCase(name, "upgrade"u8);
}
