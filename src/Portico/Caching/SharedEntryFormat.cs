using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// One stored variant as the shared tier keeps it in Redis: a magic number, whether it is
/// complete (`C`) or a part (`P`, a stored 206), when its response arrived (Unix milliseconds in
/// <see cref="ArrivedDigits"/> decimal digits, which the store script compares), the head as the disk
/// tier writes it (<see cref="DiskEntryFormat.WriteHead"/>: Vary values, fields, the RFC 9111
/// §4.2.3 times, tags and a soft purge's instant, so Age and freshness computed on any instance
/// are the ones the storing instance computes), the body's length and the body. A value that is
/// not whole (cut, or written by another version) reads as nothing: a miss, never an error.
/// </summary>
internal static class SharedEntryFormat
{
    // "PSC4", little-endian: since the value says when its response arrived ("PSC3": whether it
    // is complete; "PSC2": a part's ranges), so a value an older version wrote is not read as one.
    private const uint Magic = 0x3443_5350;

    /// <summary>The digits of the arrival time, which follow the magic number and `C` or `P`.</summary>
    public const int ArrivedDigits = 15;

    /// <summary>How every value this version writes begins: the store script compares arrival times only between such values.</summary>
    public static readonly byte[] MagicPrefix = [.. "PSC4"u8];

    /// <summary>
    /// How a complete response's value begins: the store script reads it to refuse a part in
    /// its place (RFC 9111 §3.4), as Redis holds the values, not this instance.
    /// </summary>
    public static readonly byte[] CompletePrefix = [.. MagicPrefix, (byte)'C'];

    /// <summary>
    /// When <paramref name="entry"/>'s response arrived as the value has it: the store script keeps
    /// a variant rather than let one that arrived before it replace it.
    /// </summary>
    public static string Arrived(CacheEntry entry)
        => Math.Max(0, entry.ResponseTime.ToUnixTimeMilliseconds()).ToString(new string('0', ArrivedDigits), System.Globalization.CultureInfo.InvariantCulture);

    public static byte[] Write(CacheEntry entry)
    {
        using var buffer = new MemoryStream(entry.Body.Length + 512);
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(entry.Ranges is null ? (byte)'C' : (byte)'P');
            w.Write(Encoding.ASCII.GetBytes(Arrived(entry)));
            DiskEntryFormat.WriteHead(w, entry);
            w.Write((long)entry.Body.Length);
        }

        buffer.Write(entry.Body.Span);
        return buffer.ToArray();
    }

    /// <summary>The entry in <paramref name="value"/>, its body in memory; null when the value is not one this version wrote whole.</summary>
    public static CacheEntry? Read(byte[] value, Func<IReadOnlyList<KeyValuePair<string, StringValues>>, CacheDirectives> directives)
    {
        const int start = 5 + ArrivedDigits;
        if (value.Length < start || BinaryPrimitives.ReadUInt32LittleEndian(value) != Magic)
        {
            return null;
        }

        try
        {
            using var stream = new MemoryStream(value, start, value.Length - start, writable: false);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            var entry = DiskEntryFormat.ReadHead(r, directives);
            var length = r.ReadInt64();
            var offset = start + stream.Position;
            if (length < 0 || offset + length != value.Length)
            {
                return null;
            }

            entry = entry with { Body = value.AsMemory((int)offset, (int)length) };
            return DiskEntryFormat.RangesHold(entry) ? entry : null;
        }
        catch (Exception e) when (e is EndOfStreamException or DecoderFallbackException or FormatException or IOException)
        {
            return null;
        }
    }
}
