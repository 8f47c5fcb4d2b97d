using Portico.Compression;
using Portico.Configuration.Model;

namespace Portico.Tests.Compression;

/// <summary>RFC 9110 §12.5.3 negotiation and the media-type list.</summary>
public sealed class CompressionNegotiatorTests
{
    private static readonly CompressionSettings Defaults = new();

    [Theory]
    [InlineData("gzip, br, zstd", "zstd")]
    [InlineData("gzip;q=0.8, br;q=0.9", "br")]
    [InlineData("GZIP", "gzip")]
    [InlineData("x-gzip", "gzip")]
    [InlineData("br;q=0, *", "zstd")]
    [InlineData("*;q=0", null)]
    [InlineData("deflate, identity", null)]
    [InlineData("gzip;q=abc", "gzip")]
    [InlineData(" gzip ; q=0.5 , br ; q=0.4", "gzip")]
    public void Picks_the_highest_q_value_then_the_routes_order(string header, string? expected)
        => Assert.Equal(expected, CompressionNegotiator.Choose(Defaults, header));

    [Fact]
    public void Only_the_routes_encodings_are_offered()
        => Assert.Equal("gzip", CompressionNegotiator.Choose(new CompressionSettings { Encodings = ["gzip"] }, "br, zstd, gzip;q=0.1"));

    [Theory]
    [InlineData("text/html; charset=utf-8", true)]
    [InlineData("TEXT/CSS", true)]
    [InlineData("application/json", true)]
    [InlineData("application/vnd.api+json", true)]
    [InlineData("application/soap+xml", true)]
    [InlineData("image/svg+xml", true)]
    [InlineData("image/png", false)]
    [InlineData("application/octet-stream", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Media_types_match_exactly_or_by_pattern(string? contentType, bool compressible)
        => Assert.Equal(compressible, CompressionNegotiator.IsCompressible(Defaults, contentType));
}
