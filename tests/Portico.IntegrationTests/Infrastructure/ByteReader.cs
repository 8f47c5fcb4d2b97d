namespace Portico.IntegrationTests.Infrastructure;

/// <summary>Reads HTTP/1.1 messages off a stream by their framing: a head, a line, a counted run of bytes.</summary>
internal sealed class ByteReader(Stream stream, CancellationToken cancellation)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Everything up to and including the next blank line; null when the stream ends first.</summary>
    public async Task<byte[]?> ReadHeadAsync() => await ReadUntilAsync("\r\n\r\n"u8.ToArray());

    /// <summary>The next line with its CRLF; null when the stream ends first.</summary>
    public async Task<byte[]?> ReadLineAsync() => await ReadUntilAsync("\r\n"u8.ToArray());

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (_start == _end && !await FillAsync())
            {
                throw new IOException($"the stream ended {count - filled} bytes early");
            }

            var n = Math.Min(count - filled, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(result.AsSpan(filled));
            _start += n;
            filled += n;
        }

        return result;
    }

    /// <summary>Whatever arrives until the stream ends.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        var all = new MemoryStream();
        do
        {
            all.Write(_buffer, _start, _end - _start);
            _start = _end;
        }
        while (await FillAsync());

        return all.ToArray();
    }

    private async Task<byte[]?> ReadUntilAsync(byte[] delimiter)
    {
        while (true)
        {
            var at = _buffer.AsSpan(_start, _end - _start).IndexOf(delimiter);
            if (at >= 0)
            {
                var result = _buffer.AsSpan(_start, at + delimiter.Length).ToArray();
                _start += at + delimiter.Length;
                return result;
            }

            if (!await FillAsync())
            {
                return null;
            }
        }
    }

    private async Task<bool> FillAsync()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidOperationException("a line or head longer than the read buffer");
        }

        var n = await stream.ReadAsync(_buffer.AsMemory(_end), cancellation);
        _end += n;
        return n > 0;
    }
}
