using System.Buffers;
using System.IO.Hashing;

namespace Portico.Caching;

/// <summary>
/// Reads a body from the disk tier in bounded pieces (64 KiB from the shared pool), checking its
/// XXH3 whenever the whole body is read, so a file damaged on disk is caught, not served.
/// </summary>
internal static class DiskBodyReader
{
    private const int Piece = 64 * 1024;

    /// <summary>The whole body; null when the file is gone, cut short or does not match its hash.</summary>
    public static async ValueTask<byte[]?> ReadAllAsync(DiskBody body, CancellationToken cancellationToken)
    {
        var bytes = new byte[body.Length];
        try
        {
            using var handle = File.OpenHandle(body.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
            var at = 0;
            while (at < bytes.Length)
            {
                var read = await RandomAccess.ReadAsync(handle, bytes.AsMemory(at), at, cancellationToken);
                if (read == 0)
                {
                    return null;
                }

                at += read;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return XxHash3.HashToUInt64(bytes) == body.Hash ? bytes : null;
    }

    /// <summary>
    /// Copies bytes [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>)
    /// to <paramref name="destination"/>. False when the file is gone, ends early or, for the
    /// whole body, does not match its hash: the caller must then end the exchange uncleanly, as
    /// what was sent cannot be taken back.
    /// </summary>
    public static async Task<bool> CopyAsync(DiskBody body, long from, long count, Stream destination, CancellationToken cancellationToken)
    {
        var whole = from == 0 && count == body.Length;
        var hash = whole ? new XxHash3() : null;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Piece, Math.Max(count, 1)));
        try
        {
            using var handle = File.OpenHandle(body.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
            var at = from;
            var end = from + count;
            while (at < end)
            {
                var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - at)), at, cancellationToken);
                if (read == 0)
                {
                    return false;
                }

                hash?.Append(buffer.AsSpan(0, read));
                if (whole && at + read == end && hash!.GetCurrentHashAsUInt64() != body.Hash)
                {
                    // The last piece is held back: the client sees a cut exchange, not a whole wrong body.
                    return false;
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                at += read;
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
