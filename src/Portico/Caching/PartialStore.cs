using System.Globalization;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Portico.Configuration.Model;

namespace Portico.Caching;

/// <summary>
/// Stores a part (a 206, RFC 9111 §3.3) in the store: combined with the partial entry stored for
/// its variant when both are of the same representation (§3.4), replacing it otherwise. When the
/// ranges then cover the whole representation it becomes a complete 200, with the fields of the
/// newest part (§3.4). A part never replaces a complete stored response: that response already
/// answers every range, and a part cannot stand in for it.
/// </summary>
internal sealed class PartialStore(ICacheStore store, PartialCacheLog log)
{
    /// <summary>
    /// What to store for <paramref name="part"/> as above (the part, or its combination with the
    /// stored part), or null when nothing of it may be stored. The caller stores it, after serving
    /// from it if it does: a body in a spool file is the store's, and moved, once stored.
    /// </summary>
    /// <param name="limits">The memory tier's object size decides whether a combined body is assembled in memory or in a disk tier file.</param>
    public async Task<CacheEntry?> PrepareAsync(CacheEntry part, CacheSettings limits)
    {
        var (from, to) = part.Ranges!.Spans[0];
        var stored = (await store.GetAsync(part.Key, CancellationToken.None)).FirstOrDefault(v => v.Vary.SequenceEqual(part.Vary));
        if (part.BodyLength != to - from + 1 || stored is { Ranges: null })
        {
            Drop(part);
            return null;
        }

        var entry = part;
        if (stored is not null && PartialResponses.SameRepresentation(stored, part) && await CombineAsync(stored, part, limits) is { } combined)
        {
            Drop(part);
            entry = combined;
        }

        return entry;
    }

    private async Task<CacheEntry?> CombineAsync(CacheEntry stored, CacheEntry part, CacheSettings limits)
    {
        var held = stored.Ranges!;
        var (from, to) = part.Ranges!.Spans[0];
        var ranges = held.With(from, to);

        // The stored bytes before the part, and those the part brings again, come out of the old body.
        var before = held.Spans.Sum(s => Overlap(s, 0, from - 1));
        var again = held.Spans.Sum(s => Overlap(s, from, to));
        var total = ranges.Held;
        using var writer = total > limits.MaxObjectSizeBytes ? store.BeginBody() : null;
        if (total > limits.MaxObjectSizeBytes && writer is null)
        {
            return null;
        }

        using var memory = writer is null ? new MemoryStream((int)total) : null;
        Stream target = memory is not null ? memory : new DiskWriterStream(writer!);
        var splice = new SpliceStream(target, before, before + again, d => CopyAsync(part, d));
        if (!await CopyAsync(stored, splice))
        {
            store.Discard(stored);
            return null;
        }

        await splice.InsertAsync();
        var file = writer is null || splice.Failed ? null : await writer.FinishAsync();
        if (splice.Failed || (writer is not null && file is null))
        {
            return null;
        }

        var bytes = memory is null ? default : new ReadOnlyMemory<byte>(memory.ToArray());
        var added = $"{from}-{to}";
        if (!ranges.Complete)
        {
            log.Combined(part.Key, added, total, ranges.Length, ranges.ToString());
            return part with { Ranges = ranges, Body = bytes, File = file };
        }

        log.Completed(part.Key, added, ranges.Length);
        var headers = part.Headers.Append(new(HeaderNames.ContentLength, new StringValues(ranges.Length.ToString(CultureInfo.InvariantCulture)))).ToArray();
        return part with { Status = 200, Ranges = null, Headers = headers, Body = bytes, File = file };
    }

    // The number of bytes span s has in from..to.
    private static long Overlap((long From, long To) s, long from, long to) => Math.Max(0, Math.Min(s.To, to) - Math.Max(s.From, from) + 1);

    private static async Task<bool> CopyAsync(CacheEntry entry, Stream destination)
    {
        if (entry.InMemory)
        {
            await destination.WriteAsync(entry.Body, CancellationToken.None);
            return true;
        }

        return await DiskBodyReader.CopyAsync(entry.File!, 0, entry.BodyLength, destination, CancellationToken.None);
    }

    // A part's spooled file that is not stored as it is.
    private static void Drop(CacheEntry part)
    {
        if (part.File is { Spool: true } spool)
        {
            DiskBodyWriter.Delete(spool.Path);
        }
    }
}
