using System.Buffers;
using System.Text;
using Portico.Compression;
using Portico.Configuration.Model;

namespace Portico.BodyRewrite;

/// <summary>
/// The body the client gets from a rewritten response, read as the forwarder copies it: each
/// read takes one piece of the backend's (decoded) body, decodes its characters, rewrites what
/// can be decided (<see cref="TextRewriter"/>) and encodes it again, in the same charset and,
/// when <see cref="Coding"/> is set, the same content coding. Memory per response: one piece,
/// its text, the rewriter's window and the output of one piece.
/// </summary>
internal sealed class RewritingStream : Stream
{
    private const int Piece = 16 * 1024;

    private readonly Stream _source;
    private readonly Encoding _charset;
    private readonly Decoder _decoder;
    private readonly Encoder _encoder;
    private readonly TextRewriter _rewriter;
    private readonly byte[] _in = new byte[Piece];
    private readonly char[] _chars;
    private readonly ArrayBufferWriter<char> _text = new(Piece);
    private readonly ByteQueue _out = new();
    private readonly Stream? _reencoder;
    private readonly Action<RewritingStream> _finished;
    private readonly Action<Exception> _undecodable;
    private bool _done;

    /// <param name="source">The backend's body, already decoded from its content coding.</param>
    /// <param name="coding">The content coding to encode the rewritten body in; null for none.</param>
    /// <param name="finished">Called once, when the whole body has been rewritten.</param>
    /// <param name="undecodable">Called when the backend's body is not in its content coding; the read then fails, and the forwarder answers 502 or, once the response started, cuts it off.</param>
    public RewritingStream(Stream source, Encoding charset, BodyRewriteSettings settings, string? coding, Action<RewritingStream> finished, Action<Exception> undecodable)
    {
        _source = source;
        _charset = charset;
        _decoder = charset.GetDecoder();
        _encoder = charset.GetEncoder();
        _chars = new char[charset.GetMaxCharCount(Piece)];
        _rewriter = new TextRewriter(settings, _chars.Length);
        _reencoder = coding is null ? null : ContentCodings.Encoder(coding, _out, CompressionEffort.Optimal);
        Coding = coding;
        _finished = finished;
        _undecodable = undecodable;
    }

    public string? Coding { get; }

    /// <summary>Bytes of the decoded backend body read.</summary>
    public long BytesIn { get; private set; }

    /// <summary>Bytes of rewritten text produced (before any content coding).</summary>
    public long BytesOut { get; private set; }

    public TextRewriter Rewriter => _rewriter;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            while (_out.Count == 0 && !_done)
            {
                Rewrite(await _source.ReadAsync(_in, cancellationToken));
            }
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException)
        {
            _undecodable(e);
            throw;
        }

        return _out.Take(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            while (_out.Count == 0 && !_done)
            {
                Rewrite(_source.Read(_in));
            }
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException)
        {
            _undecodable(e);
            throw;
        }

        return _out.Take(buffer);
    }

    /// <summary>Rewrites the next <paramref name="read"/> bytes of the body (0: its end) into the output queue.</summary>
    private void Rewrite(int read)
    {
        var final = read == 0;
        BytesIn += read;
        var chars = _decoder.GetChars(_in.AsSpan(0, read), _chars, flush: final);
        _rewriter.Push(_chars.AsSpan(0, chars), final, _text);

        var text = _text.WrittenSpan;
        var bytes = ArrayPool<byte>.Shared.Rent(_charset.GetMaxByteCount(text.Length + 1));
        var count = _encoder.GetBytes(text, bytes, flush: final);
        (_reencoder ?? _out).Write(bytes.AsSpan(0, count));
        ArrayPool<byte>.Shared.Return(bytes);
        BytesOut += count;
        _text.ResetWrittenCount();

        if (final)
        {
            // Disposing the encoder writes its last block to the queue.
            _reencoder?.Dispose();
            _done = true;
            _finished(this);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _source.Dispose();
            _reencoder?.Dispose();
        }

        base.Dispose(disposing);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
