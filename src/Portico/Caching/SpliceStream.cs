using Portico.Compression;

namespace Portico.Caching;

/// <summary>
/// Writes a stored body with one stretch of it replaced: bytes before <paramref name="cut"/> pass,
/// then <paramref name="insert"/> writes the new part, then bytes from <paramref name="resume"/>
/// on pass again. Lets a partial entry be combined with a new part (RFC 9111 §3.4) by copying its
/// body once, whole (so a body read from a file is checked against its hash on the way).
/// </summary>
internal sealed class SpliceStream(Stream destination, long cut, long resume, Func<Stream, Task<bool>> insert) : WriteOnlyStream
{
    private long _position;

    /// <summary>Whether the part has been written.</summary>
    public bool Inserted { get; private set; }

    /// <summary>True when the part could not be written whole (its file gone or damaged).</summary>
    public bool Failed { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var start = _position;
        _position += buffer.Length;
        if (start < cut)
        {
            await destination.WriteAsync(buffer[..(int)Math.Min(buffer.Length, cut - start)], cancellationToken);
        }

        if (_position >= cut)
        {
            await InsertAsync();
        }

        if (_position > resume)
        {
            var from = Math.Max(start, resume);
            await destination.WriteAsync(buffer[(int)(from - start)..], cancellationToken);
        }
    }

    /// <summary>Writes the part if the body ended before <paramref name="cut"/> was reached (a part after every stored byte).</summary>
    public async Task InsertAsync()
    {
        if (!Inserted)
        {
            Inserted = true;
            Failed = !await insert(destination);
        }
    }

    public override void Flush()
    {
    }
}
