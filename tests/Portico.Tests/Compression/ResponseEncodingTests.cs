using System.IO.Compression;
using System.Text;
using Portico.Compression;
using Portico.Configuration.Model;
using Portico.FastPath;

namespace Portico.Tests.Compression;

/// <summary>
/// The response rule both paths call (ResponseEncoding.Judge), and the fast path's chunks of an
/// encoder's output (FastEncoder, ChunkSink): framed as RFC 9112 §7.1 says, decoding to the input.
/// </summary>
public sealed class ResponseEncodingTests
{
    private static readonly CompressionSettings Defaults = new();

    [Theory]
    [InlineData(200, "text/plain", false, "", 5000L, false, true, true)]
    [InlineData(200, "text/plain", true, "", 5000L, false, false, true)]
    [InlineData(200, "text/plain", false, "identity", null, false, true, true)]
    [InlineData(200, "text/plain", false, "gzip", 5000L, false, true, false)]
    [InlineData(200, "text/plain", false, "", 1023L, false, true, false)]
    [InlineData(200, "text/plain", false, "", 1024L, false, true, true)]
    [InlineData(200, "text/plain", false, "", 5000L, true, true, false)]
    [InlineData(404, "application/problem+json", false, "", 5000L, false, true, true)]
    [InlineData(200, "image/png", false, "", 5000L, false, false, false)]
    [InlineData(200, null, false, "", 5000L, false, false, false)]
    [InlineData(206, "text/plain", false, "", 5000L, false, false, false)]
    [InlineData(204, "text/plain", false, "", null, false, false, false)]
    [InlineData(304, "text/plain", false, "", null, false, false, false)]
    [InlineData(101, "text/plain", false, "", null, false, false, false)]
    public void The_verdict_follows_status_type_vary_coding_length_and_no_transform(
        int status, string? type, bool varies, string encoding, long? length, bool noTransform, bool addsVary, bool encodes)
        => Assert.Equal(new EncodingVerdict(addsVary, encodes), ResponseEncoding.Judge(Defaults, "gzip", status, type, varies, encoding, length, noTransform));

    [Fact]
    public void A_client_that_accepts_no_coding_gets_vary_and_the_body_as_it_is()
    {
        Assert.Equal(new EncodingVerdict(true, false), ResponseEncoding.Judge(Defaults, null, 200, "text/html", false, "", 5000, false));
        Assert.Equal("identity", ResponseEncoding.ForBackend(null));
        Assert.Equal("br", ResponseEncoding.ForBackend("br"));
    }

    [Fact]
    public void Fields_are_read_as_both_paths_read_them()
    {
        Assert.True(ResponseEncoding.NamesAcceptEncoding("Origin, accept-encoding"));
        Assert.False(ResponseEncoding.NamesAcceptEncoding("Origin"));
        Assert.True(ResponseEncoding.ForbidsTransform("public, No-Transform"));
        Assert.True(ResponseEncoding.IsStrong("\"v1\""));
        Assert.False(ResponseEncoding.IsStrong("W/\"v1\""));
        Assert.False(ResponseEncoding.IsStrong(""));
        Assert.True(ResponseEncoding.FlushesEachWrite(lengthKnown: false));
        Assert.False(ResponseEncoding.FlushesEachWrite(lengthKnown: true));
    }

    [Theory]
    [InlineData("gzip", false)]
    [InlineData("br", true)]
    [InlineData("zstd", true)]
    public void The_fast_paths_chunks_decode_to_what_went_in(string coding, bool flushEachWrite)
    {
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i * 7919 % 1000},")));
        var encoder = new FastEncoder().Begin(coding, CompressionEffort.Fastest, flushEachWrite);
        var wire = new MemoryStream();
        for (var i = 0; i < text.Length; i += 30_000)
        {
            encoder.Write(text.AsSpan(i, Math.Min(30_000, text.Length - i)));
            var chunk = encoder.Take(last: false);
            Assert.True(!flushEachWrite || chunk.Length > 0, "a flushed write leaves a chunk");
            wire.Write(chunk.Span);
        }

        wire.Write(encoder.Take(last: true).Span);
        var encoded = Dechunk(wire.ToArray(), out var sizes);
        encoder.End();

        Assert.Equal(text.Length, encoder.BytesIn);
        Assert.Equal(encoded.Length, encoder.BytesOut);
        Assert.Equal(0, sizes[^1]);
        Assert.DoesNotContain(0, sizes[..^1]);
        using var decoder = coding switch
        {
            "gzip" => (Stream)new GZipStream(new MemoryStream(encoded), CompressionMode.Decompress),
            "br" => new BrotliStream(new MemoryStream(encoded), CompressionMode.Decompress),
            _ => new ZstdSharp.DecompressionStream(new MemoryStream(encoded)),
        };
        var decoded = new MemoryStream();
        decoder.CopyTo(decoded);
        Assert.Equal(text, decoded.ToArray());
    }

    /// <summary>The data of a chunked body that must end with its last chunk and nothing after it.</summary>
    private static byte[] Dechunk(byte[] wire, out List<int> sizes)
    {
        sizes = [];
        var data = new MemoryStream();
        var at = 0;
        while (true)
        {
            var lineEnd = wire.AsSpan(at).IndexOf("\r\n"u8) + at;
            var size = Convert.ToInt32(Encoding.ASCII.GetString(wire, at, lineEnd - at), 16);
            sizes.Add(size);
            at = lineEnd + 2;
            if (size == 0)
            {
                Assert.Equal("\r\n", Encoding.ASCII.GetString(wire, at, wire.Length - at));
                return data.ToArray();
            }

            data.Write(wire, at, size);
            Assert.Equal("\r\n", Encoding.ASCII.GetString(wire, at + size, 2));
            at += size + 2;
        }
    }
}
