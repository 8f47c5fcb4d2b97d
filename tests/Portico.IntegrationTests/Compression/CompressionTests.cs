using System.Diagnostics.Metrics;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Portico.IntegrationTests.Caching;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Compression;

/// <summary>Response compression: negotiation, what is never compressed, exact round trips, streaming, and its place inside the cache.</summary>
public sealed class CompressionTests
{
    // Compressible but not trivially: repeated words with a pseudo-random tail.
    private static readonly byte[] Text = System.Text.Encoding.UTF8.GetBytes(
        string.Concat(Enumerable.Range(0, 4000).Select(i => $"line {i} of the origin's text {i * 7919 % 1000}\n")));

    private static Func<HttpContext, Task> Serve(byte[] body, string type = "text/plain; charset=utf-8", params (string Name, string Value)[] fields) => async ctx =>
    {
        ctx.Response.ContentType = type;
        ctx.Response.ContentLength = body.Length;
        foreach (var (name, value) in fields)
        {
            ctx.Response.Headers.Append(name, value);
        }

        await ctx.Response.Body.WriteAsync(body);
    };

    private static async Task<byte[]> RawAsync(HttpResponseMessage response) => await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

    /// <summary><paramref name="data"/> decoded from <paramref name="coding"/> ("" for none); the body rewriting tests decode with it too.</summary>
    internal static byte[] Decode(string coding, byte[] data)
    {
        using var input = new MemoryStream(data);
        using Stream decoder = coding switch
        {
            "br" => new BrotliStream(input, CompressionMode.Decompress),
            "gzip" => new GZipStream(input, CompressionMode.Decompress),
            "deflate" => new ZLibStream(input, CompressionMode.Decompress),
            "zstd" => new ZstdSharp.DecompressionStream(input),
            _ => input,
        };
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public async Task Each_encoding_decodes_to_the_exact_origin_bytes(string coding)
    {
        await using var o = await CacheOrigin.StartAsync("compression: {}");
        o.Handler = Serve(Text, fields: ("ETag", "\"strong\""));
        var response = await o.GetAsync("/t", ("Accept-Encoding", coding));

        Assert.Equal(coding, Header(response, "Content-Encoding"));
        var raw = await RawAsync(response);
        Assert.True(raw.Length < Text.Length / 3, $"{coding}: {raw.Length} bytes for {Text.Length}");
        Assert.Equal(SHA256.HashData(Text), SHA256.HashData(Decode(coding, raw)));
        Assert.Equal("W/\"strong\"", Header(response, "ETag"));
        Assert.Contains("Accept-Encoding", Header(response, "Vary"), StringComparison.Ordinal);
        Assert.Null(response.Content.Headers.ContentLength is { } n && n != raw.Length ? n : null);

        // The origin was asked only for the coding Portico produces.
        Assert.Equal(coding, o.Last.Headers["Accept-Encoding"]);
    }

    [Theory]
    [InlineData("gzip, deflate, br, zstd", "zstd")]
    [InlineData("gzip;q=1, br;q=0.5", "gzip")]
    [InlineData("br;q=0.2, gzip;q=0.2", "br")]
    [InlineData("*", "zstd")]
    [InlineData("*;q=0.5, gzip", "gzip")]
    [InlineData("zstd;q=0, br;q=0, *;q=0.1", "gzip")]
    [InlineData("identity", "")]
    [InlineData("gzip;q=0", "")]
    [InlineData("", "")]
    public async Task The_coding_follows_the_q_values_and_the_routes_order_on_ties(string acceptEncoding, string expected)
    {
        await using var o = await CacheOrigin.StartAsync("compression: {}");
        o.Handler = Serve(Text);
        var response = acceptEncoding.Length == 0 ? await o.GetAsync("/t") : await o.GetAsync("/t", ("Accept-Encoding", acceptEncoding));

        Assert.Equal(expected, Header(response, "Content-Encoding"));
        Assert.Equal(SHA256.HashData(Text), SHA256.HashData(Decode(expected, await RawAsync(response))));
    }

    [Fact]
    public async Task The_routes_encoding_list_limits_and_orders_what_is_offered()
    {
        await using var o = await CacheOrigin.StartAsync("compression: { encodings: [gzip, br] }");
        o.Handler = Serve(Text);

        Assert.Equal("gzip", Header(await o.GetAsync("/t", ("Accept-Encoding", "br, gzip, zstd")), "Content-Encoding"));
        Assert.Equal("", Header(await o.GetAsync("/t", ("Accept-Encoding", "zstd")), "Content-Encoding"));
    }

    [Fact]
    public async Task Small_bodies_other_media_types_and_no_transform_stay_as_they_are()
    {
        await using var o = await CacheOrigin.StartAsync("compression: { minSize: 2KiB, mimeTypes: [text/plain, application/*+json] }");
        o.Handler = ctx => ctx.Request.Path.Value switch
        {
            "/small" => Serve(Text[..2000])(ctx),
            "/png" => Serve(Text, "image/png")(ctx),
            "/problem" => Serve(Text, "application/problem+json")(ctx),
            "/no-transform" => Serve(Text, fields: ("Cache-Control", "no-transform"))(ctx),
            _ => Serve(Text)(ctx),
        };

        Assert.Equal("", Header(await o.GetAsync("/small", ("Accept-Encoding", "gzip")), "Content-Encoding"));
        var png = await o.GetAsync("/png", ("Accept-Encoding", "gzip"));
        Assert.Equal("", Header(png, "Content-Encoding"));
        Assert.DoesNotContain("Accept-Encoding", Header(png, "Vary"), StringComparison.Ordinal);
        Assert.Equal("gzip", Header(await o.GetAsync("/problem", ("Accept-Encoding", "gzip")), "Content-Encoding"));
        Assert.Equal("", Header(await o.GetAsync("/no-transform", ("Accept-Encoding", "gzip")), "Content-Encoding"));
        Assert.Equal("gzip", Header(await o.GetAsync("/big", ("Accept-Encoding", "gzip")), "Content-Encoding"));
    }

    [Fact]
    public async Task An_already_encoded_body_is_never_encoded_again_and_a_206_never_compressed()
    {
        var gzipped = new MemoryStream();
        await using (var gz = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gz.WriteAsync(Text, TestContext.Current.CancellationToken);
        }

        await using var o = await CacheOrigin.StartAsync("compression: {}");
        o.Handler = ctx =>
        {
            if (ctx.Request.Headers.Range.Count > 0)
            {
                ctx.Response.StatusCode = 206;
                ctx.Response.Headers.ContentRange = $"bytes 0-2047/{Text.Length}";
                return Serve(Text[..2048])(ctx);
            }

            return Serve(gzipped.ToArray(), fields: ("Content-Encoding", "gzip"))(ctx);
        };

        var encoded = await o.GetAsync("/gz", ("Accept-Encoding", "br, gzip"));
        Assert.Equal("gzip", Header(encoded, "Content-Encoding"));
        Assert.Equal(gzipped.ToArray(), await RawAsync(encoded));

        var partial = await o.GetAsync("/p", ("Accept-Encoding", "gzip"), ("Range", "bytes=0-2047"));
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("", Header(partial, "Content-Encoding"));
        Assert.Equal(Text[..2048], await RawAsync(partial));
    }

    [Theory]
    [InlineData("gzip", false)]
    [InlineData("br", false)]
    [InlineData("zstd", false)]
    [InlineData("gzip", true)]
    [InlineData("br", true)]
    [InlineData("zstd", true)]
    public async Task A_streamed_response_stays_streamed_through_the_encoder(string coding, bool fastPath)
    {
        await using var o = await CacheOrigin.StartAsync("compression: {}", fastPath: fastPath);
        using var counters = new ProxyCounters(o.Proxy, "portico.fastpath.");
        var more = new TaskCompletionSource();
        o.Handler = async ctx =>
        {
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync("event one\n");
            await ctx.Response.Body.FlushAsync();
            await more.Task;
            await ctx.Response.WriteAsync("event two\n");
        };
        var ct = TestContext.Current.CancellationToken;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/stream");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", coding);
        using var response = await o.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(coding, Header(response, "Content-Encoding"));
        var raw = await response.Content.ReadAsStreamAsync(ct);
        await using Stream decoder = coding switch
        {
            "br" => new BrotliStream(raw, CompressionMode.Decompress),
            "gzip" => new GZipStream(raw, CompressionMode.Decompress),
            _ => new ZstdSharp.DecompressionStream(raw),
        };
        var buffer = new byte[64];
        var read = 0;
        while (read < "event one\n".Length)
        {
            read += await decoder.ReadAsync(buffer.AsMemory(read), ct);
        }

        Assert.Equal("event one\n", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        Assert.False(more.Task.IsCompleted);
        more.SetResult();
        Assert.Equal("event two\n", await new StreamReader(decoder).ReadToEndAsync(ct));
        await Poll.UntilAsync(() => counters.Value("portico.fastpath.requests") == (fastPath ? 1 : 0), "the path the request took to count it");
    }

    [Fact]
    public async Task The_cache_serves_its_stored_compressed_variant_without_compressing_again()
    {
        await using var o = await CacheOrigin.StartAsync("""
            cache: {}
                compression: {}
            """);
        o.Handler = Serve(Text, fields: ("Cache-Control", "max-age=60"));
        using var compressed = new MetricCollector<long>(o.Proxy.Services.GetRequiredService<IMeterFactory>(), "Portico.Compression", "portico.compression.responses");

        var first = await o.GetAsync("/t", ("Accept-Encoding", "gzip, br"));
        Assert.Equal("br", Header(first, "Content-Encoding"));
        for (var i = 0; i < 3; i++)
        {
            // Other spellings that negotiate the same coding share the stored variant.
            var hit = await o.GetAsync("/t", ("Accept-Encoding", i == 0 ? "gzip, br" : "br;q=1, gzip;q=0.5"));
            Assert.True(IsHit(hit), Status(hit));
            Assert.Equal("br", Header(hit, "Content-Encoding"));
            Assert.Equal(SHA256.HashData(Text), SHA256.HashData(Decode("br", await RawAsync(hit))));
        }

        Assert.Equal(1, o.Hits);
        Assert.Equal(1, compressed.GetMeasurementSnapshot().Sum(m => m.Value));

        // Another coding is another variant: one more origin request, one more compression.
        var gzip = await o.GetAsync("/t", ("Accept-Encoding", "gzip"));
        var identity = await o.GetAsync("/t");
        Assert.Equal("gzip", Header(gzip, "Content-Encoding"));
        Assert.Equal(Text, await RawAsync(identity));
        Assert.True(IsHit(await o.GetAsync("/t", ("Accept-Encoding", "gzip"))));
        Assert.Equal(3, o.Hits);
        Assert.Equal(2, compressed.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    public async Task Head_gets_the_fields_of_the_compressed_get_and_no_body()
    {
        await using var o = await CacheOrigin.StartAsync("compression: {}");
        o.Handler = Serve(Text);
        var head = await o.SendAsync(HttpMethod.Head, "/t", ("Accept-Encoding", "gzip"));

        Assert.Equal("gzip", Header(head, "Content-Encoding"));
        Assert.Empty(await RawAsync(head));
    }
}
