using System.IO.Hashing;

namespace Portico.Caching;

/// <summary>
/// A response body written to a temporary file of the disk tier as it arrives from the origin,
/// hashed on the way, so a body larger than the memory tier takes no more memory than one write.
/// Past the tier's object size cap, or on a disk error, it gives up and deletes the file; the
/// response still reaches its client. Disposing without <see cref="Finish"/> deletes the file,
/// so only a whole body can go into the tier.
/// </summary>
internal sealed class DiskBodyWriter(string path, long limit, Action<string, Exception> failed) : IDisposable
{
    private readonly XxHash3 _hash = new();
    private FileStream? _file = new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
    private long _length;
    private bool _finished;

    public bool Failed => _file is null;

    /// <summary>Gives up: the file is deleted and <see cref="FinishAsync"/> yields nothing.</summary>
    public void Abandon()
    {
        _file?.Dispose();
        _file = null;
        _finished = false;
        Delete(path);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_file is null || data.IsEmpty)
        {
            return;
        }

        if (_length + data.Length > limit)
        {
            Abandon();
            return;
        }

        try
        {
            // Not the client's token: a client that goes away mid-write must not leave us half a write.
            await _file.WriteAsync(data, CancellationToken.None);
            _hash.Append(data.Span);
            _length += data.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failed(path, e);
            Abandon();
        }
    }

    /// <summary>The whole body written, as the tier takes it; null when the writer gave up.</summary>
    public async ValueTask<DiskBody?> FinishAsync()
    {
        if (_file is not { } file)
        {
            return null;
        }

        try
        {
            await file.DisposeAsync();
            _file = null;
            _finished = true;
            return new DiskBody(path, _length, _hash.GetCurrentHashAsUInt64(), Spool: true);
        }
        catch (IOException e)
        {
            failed(path, e);
            Abandon();
            return null;
        }
    }

    public void Dispose()
    {
        if (!_finished)
        {
            Abandon();
        }
    }

    internal static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temporary file left behind is swept when the tier next opens.
        }
    }
}
