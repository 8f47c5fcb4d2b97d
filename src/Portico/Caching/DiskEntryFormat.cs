using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// The layout of one disk tier file: the body, then the head block (key, Vary values, status,
/// fields, the RFC 9111 §4.2.3 times, since version 2 the tags and a soft purge's instant, so
/// both outlive a restart, and since version 3 the ranges a stored part holds, §3.3), then a fixed trailer (magic, version, lengths, the body's
/// and the head's XXH3). The body comes first because it is streamed to the file as it arrives,
/// before its length is known; the head and trailer are appended when it is complete. A reader
/// trusts a file only when the trailer's magic is right, its lengths add up to the file's
/// length and the head's hash matches, so a file cut short or overwritten is refused.
/// </summary>
internal static class DiskEntryFormat
{
    public const int TrailerLength = 40;

    private const ulong Magic = 0x3145_4843_4143_5050; // "PPCACHE1", little-endian
    // Version 1 files (no tags, no soft purge) and version 2 files (no parts: each a complete
    // response) are still read.
    private const int Version = 3;

    /// <summary>The head block and trailer that close a file whose body (<paramref name="bodyLength"/> bytes, XXH3 <paramref name="bodyHash"/>) is already written.</summary>
    public static byte[] Close(CacheEntry entry, long bodyLength, ulong bodyHash)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            WriteHead(w, entry);
        }

        var headLength = (int)buffer.Length;
        var trailer = new byte[TrailerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(trailer.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(trailer.AsSpan(12), headLength);
        BinaryPrimitives.WriteInt64LittleEndian(trailer.AsSpan(16), bodyLength);
        BinaryPrimitives.WriteUInt64LittleEndian(trailer.AsSpan(24), bodyHash);
        BinaryPrimitives.WriteUInt64LittleEndian(trailer.AsSpan(32), XxHash3.HashToUInt64(buffer.GetBuffer().AsSpan(0, headLength)));
        buffer.Write(trailer);
        return buffer.ToArray();
    }

    /// <summary>
    /// The entry stored in <paramref name="path"/>, its body left in the file; null with a reason
    /// when the file is not a whole, undamaged one.
    /// </summary>
    /// <param name="directives">Re-reads the directives from the stored fields (they follow `cache.targetedField`).</param>
    public static CacheEntry? Read(string path, Func<IReadOnlyList<KeyValuePair<string, StringValues>>, CacheDirectives> directives, out string? damage)
    {
        using var handle = System.IO.File.OpenHandle(path);
        var fileLength = RandomAccess.GetLength(handle);
        damage = null;
        if (fileLength < TrailerLength)
        {
            damage = $"{fileLength} bytes is shorter than a trailer";
            return null;
        }

        Span<byte> trailer = stackalloc byte[TrailerLength];
        RandomAccess.Read(handle, trailer, fileLength - TrailerLength);
        var headLength = BinaryPrimitives.ReadInt32LittleEndian(trailer[12..]);
        var bodyLength = BinaryPrimitives.ReadInt64LittleEndian(trailer[16..]);
        var version = BinaryPrimitives.ReadInt32LittleEndian(trailer[8..]);
        if (BinaryPrimitives.ReadUInt64LittleEndian(trailer) != Magic || version is < 1 or > Version)
        {
            damage = "no trailer";
            return null;
        }

        if (headLength < 0 || bodyLength < 0 || bodyLength + headLength + TrailerLength != fileLength)
        {
            damage = $"lengths {bodyLength} + {headLength} + {TrailerLength} are not the file's {fileLength}";
            return null;
        }

        var head = new byte[headLength];
        RandomAccess.Read(handle, head, bodyLength);
        if (XxHash3.HashToUInt64(head) != BinaryPrimitives.ReadUInt64LittleEndian(trailer[32..]))
        {
            damage = "head checksum mismatch";
            return null;
        }

        using var r = new BinaryReader(new MemoryStream(head), Encoding.UTF8);
        var entry = ReadHead(r, directives, version) with { File = new DiskBody(path, bodyLength, BinaryPrimitives.ReadUInt64LittleEndian(trailer[24..])) };
        if (!RangesHold(entry))
        {
            damage = $"ranges {entry.Ranges} do not hold its {bodyLength} bytes";
            return null;
        }

        return entry;
    }

    /// <summary>Whether a part's ranges add up to its body (a complete response: always); otherwise its bytes would be served at the wrong offsets.</summary>
    public static bool RangesHold(CacheEntry entry)
        => entry.Ranges is not { } held || (held.Spans.Count > 0 && held.Held == entry.BodyLength && held.Spans[^1].To < held.Length);

    /// <summary>An entry's head (everything but its body), as this format and the shared tier's (<see cref="SharedEntryFormat"/>) write it.</summary>
    public static void WriteHead(BinaryWriter w, CacheEntry entry)
    {
        w.Write(entry.Key);
        w.Write(entry.Vary.Count);
        foreach (var (name, value) in entry.Vary)
        {
            w.Write(name);
            w.Write(value);
        }

        w.Write(entry.Status);
        w.Write(entry.Headers.Count);
        foreach (var (name, values) in entry.Headers)
        {
            w.Write(name);
            w.Write(values.Count);
            foreach (var value in values)
            {
                w.Write(value ?? "");
            }
        }

        w.Write(entry.RequestTime.UtcTicks);
        w.Write(entry.ResponseTime.UtcTicks);
        w.Write(entry.Date.UtcTicks);
        w.Write(entry.AgeValue);
        w.Write(entry.Tags.Count);
        foreach (var tag in entry.Tags)
        {
            w.Write(tag);
        }

        w.Write(entry.StaleFrom?.UtcTicks ?? -1);

        // A complete response: -1. A part: its complete length and the ranges its body holds, in order.
        w.Write(entry.Ranges?.Length ?? -1);
        w.Write(entry.Ranges?.Spans.Count ?? 0);
        foreach (var (from, to) in entry.Ranges?.Spans ?? [])
        {
            w.Write(from);
            w.Write(to);
        }
    }

    /// <summary>The head <see cref="WriteHead"/> wrote (of a file of <paramref name="version"/>), as an entry without a body.</summary>
    public static CacheEntry ReadHead(BinaryReader r, Func<IReadOnlyList<KeyValuePair<string, StringValues>>, CacheDirectives> directives, int version = Version)
    {
        var key = r.ReadString();
        var vary = new KeyValuePair<string, string>[r.ReadInt32()];
        for (var i = 0; i < vary.Length; i++)
        {
            vary[i] = new(r.ReadString(), r.ReadString());
        }

        var status = r.ReadInt32();
        var headers = new KeyValuePair<string, StringValues>[r.ReadInt32()];
        for (var i = 0; i < headers.Length; i++)
        {
            var name = r.ReadString();
            var values = new string[r.ReadInt32()];
            for (var v = 0; v < values.Length; v++)
            {
                values[v] = r.ReadString();
            }

            headers[i] = new(name, new StringValues(values));
        }

        var entry = new CacheEntry
        {
            Key = key,
            Vary = vary,
            Status = status,
            Headers = headers,
            RequestTime = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero),
            ResponseTime = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero),
            Date = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero),
            AgeValue = r.ReadInt64(),
            Directives = directives(headers),
        };
        entry = version < 2 ? entry : WithPurgeFields(entry, r);
        return version < 3 ? entry : WithRanges(entry, r);
    }

    private static CacheEntry WithRanges(CacheEntry entry, BinaryReader r)
    {
        var length = r.ReadInt64();
        var count = r.ReadInt32();
        if (count < 0 || count > (r.BaseStream.Length - r.BaseStream.Position) / 16)
        {
            throw new FormatException($"{count} ranges");
        }

        var spans = new (long From, long To)[count];
        for (var i = 0; i < spans.Length; i++)
        {
            spans[i] = (r.ReadInt64(), r.ReadInt64());
        }

        return length < 0 ? entry : entry with { Ranges = new HeldRanges(length, spans) };
    }

    private static CacheEntry WithPurgeFields(CacheEntry entry, BinaryReader r)
    {
        var tags = new string[r.ReadInt32()];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = r.ReadString();
        }

        var staleFrom = r.ReadInt64();
        return entry with { Tags = tags, StaleFrom = staleFrom < 0 ? null : new DateTimeOffset(staleFrom, TimeSpan.Zero) };
    }
}
