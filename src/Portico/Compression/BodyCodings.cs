using System.IO.Compression;

namespace Portico.Compression;

/// <summary>
/// The content codings (RFC 9110 §8.4.1) Portico decodes, and their decoders: a backend's body
/// that is rewritten (several codings stacked, or one not listed, leave it as it is), a client's
/// body that the WAF inspects (each coding of a stack decoded in turn; one not listed is refused).
/// </summary>
internal static class BodyCodings
{
    /// <summary>The coding of a body with <paramref name="contentEncoding"/>: "" for none, null for one Portico cannot decode.</summary>
    public static string? Of(string contentEncoding)
    {
        var name = contentEncoding.Trim().ToLowerInvariant();
        return name switch
        {
            "" or "identity" => "",
            // RFC 9110 §8.4.1.3: x-gzip is gzip.
            "gzip" or "x-gzip" => "gzip",
            "br" or "deflate" or "zstd" => name,
            _ => null,
        };
    }

    /// <summary>A stream of <paramref name="encoded"/>'s bytes decoded from <paramref name="coding"/> (as <see cref="Of"/> names it).</summary>
    public static Stream Decoder(string coding, Stream encoded) => coding switch
    {
        "" => encoded,
        "gzip" => new GZipStream(encoded, CompressionMode.Decompress),
        "br" => new BrotliStream(encoded, CompressionMode.Decompress),
        // RFC 9110 §8.4.1.2: "deflate" is the zlib format (RFC 1950) around deflate data.
        "deflate" => new ZLibStream(encoded, CompressionMode.Decompress),
        "zstd" => new ZstdSharp.DecompressionStream(encoded),
        _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "not a coding BodyCodings decodes"),
    };
}
