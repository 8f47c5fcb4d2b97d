using System.Buffers;
using Portico.Compression;
using Portico.Configuration.Model;

namespace Portico.FastPath;

/// <summary>
/// The encoder of one response body on the fast path: the backend's body bytes (a chunked body's
/// data, through <see cref="ChunkedScanner"/>, which writes them here) go through
/// <see cref="ContentCodings.Encoder"/> at the route's level, and what it has produced is taken as
/// one HTTP/1.1 chunk at a time, framed in place, to send as it is. Nothing is kept between
/// takes, so a body of any size streams. Held by a connection and reused; its arrays are rented
/// for a response and given back at its end.
/// </summary>
internal sealed class FastEncoder : IBufferWriter<byte>
{
    // What is read from the backend at once (as the relay's reads).
    private const int ReadSize = 64 * 1024;

    private readonly ChunkSink _sink = new();
    private Stream? _encoder;
    private byte[] _read = [];
    private byte[] _scratch = [];
    private bool _flushEachWrite;
    private FastMiss? _recording;

    /// <summary>Body bytes given to the encoder so far.</summary>
    public long BytesIn { get; private set; }

    /// <summary>Encoded bytes taken so far (the chunks' data, without their framing).</summary>
    public long BytesOut { get; private set; }

    /// <summary>
    /// A response begins: <paramref name="coding"/> at <paramref name="effort"/>, each read flushed
    /// through when <paramref name="flushEachWrite"/>; each take's encoded bytes recorded by
    /// <paramref name="recording"/> (a cached route's miss, which stores the encoded variant).
    /// </summary>
    public FastEncoder Begin(string coding, CompressionEffort effort, bool flushEachWrite, FastMiss? recording = null)
    {
        _flushEachWrite = flushEachWrite;
        _recording = recording;
        BytesIn = BytesOut = 0;
        _sink.Reset();
        _encoder = ContentCodings.Encoder(coding, _sink, effort);
        return this;
    }

    /// <summary>Where the next read from the backend goes (at most <paramref name="most"/> bytes).</summary>
    public Memory<byte> ReadBuffer(long most)
    {
        if (_read.Length == 0)
        {
            _read = ArrayPool<byte>.Shared.Rent(ReadSize);
        }

        return _read.AsMemory(0, (int)Math.Min(most, _read.Length));
    }

    /// <summary>Body bytes (already without any chunked framing) into the encoder.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        BytesIn += data.Length;
        _encoder!.Write(data);
    }

    /// <summary>
    /// What the encoder has produced since the last take, as one chunk (empty when nothing);
    /// with <paramref name="last"/>, the encoder's end and the last chunk after it. The bytes
    /// stay valid until the next call.
    /// </summary>
    public ReadOnlyMemory<byte> Take(bool last)
    {
        if (last)
        {
            _encoder!.Dispose();
            _encoder = null;
        }
        else if (_flushEachWrite)
        {
            _encoder!.Flush();
        }

        var data = _sink.Held;
        BytesOut += data;
        _recording?.Append(_sink.Data);
        var chunk = _sink.Frame(last);
        _sink.Reset();
        return chunk;
    }

    /// <summary>The response is over (or abandoned): the encoder and the arrays go.</summary>
    public void End()
    {
        _encoder?.Dispose();
        _encoder = null;
        _recording = null;
        _sink.Release();
        if (_read.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_read);
            _read = [];
        }

        if (_scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = [];
        }
    }

    // The chunked scanner's data writer: the span it fills is copied into the encoder on Advance.
    void IBufferWriter<byte>.Advance(int count) => Write(_scratch.AsSpan(0, count));

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint) => Scratch(sizeHint);

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint) => Scratch(sizeHint).Span;

    private Memory<byte> Scratch(int sizeHint)
    {
        if (_scratch.Length < Math.Max(sizeHint, 1))
        {
            if (_scratch.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
            }

            _scratch = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, 16 * 1024));
        }

        return _scratch;
    }
}
