using System.IO.Compression;
using Portico.Configuration.Model;

namespace Portico.Compression;

/// <summary>The encoders behind each coding name, and the levels each `level` setting means for them.</summary>
internal static class ContentCodings
{
    public static Stream Encoder(string coding, Stream output, CompressionEffort effort) => coding switch
    {
        // Brotli quality 4 and gzip 6 are each library's own "optimal"; zstd 3 is its default.
        "br" => new BrotliStream(output, new BrotliCompressionOptions { Quality = effort switch { CompressionEffort.Fastest => 1, CompressionEffort.Smallest => 11, _ => 4 } }, leaveOpen: true),
        "gzip" => new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = effort switch { CompressionEffort.Fastest => 1, CompressionEffort.Smallest => 9, _ => 6 } }, leaveOpen: true),
        // Only body rewriting re-encodes in deflate (the zlib format, RFC 9110 §8.4.1.2), for a backend that sent it.
        "deflate" => new ZLibStream(output, new ZLibCompressionOptions { CompressionLevel = effort switch { CompressionEffort.Fastest => 1, CompressionEffort.Smallest => 9, _ => 6 } }, leaveOpen: true),
        "zstd" => new ZstdSharp.CompressionStream(output, level: effort switch { CompressionEffort.Fastest => 1, CompressionEffort.Smallest => 19, _ => 3 }, leaveOpen: true),
        _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "unknown coding"),
    };
}
