using System.IO.Compression;
using System.Net;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>The cache and compression behave the same to an HTTP/2 (h2c) client.</summary>
public sealed class CacheOverHttp2Tests
{
    [Fact]
    public async Task Hits_ranges_collapsing_and_compressed_variants_over_h2c()
    {
        await using var o = await CacheOrigin.StartAsync(
            route: "cache: {}\n    compression: {}",
            top: "listeners:\n  main: { address: \"127.0.0.1:0\", protocols: [h2c] }");
        var text = string.Concat(Enumerable.Repeat("h2 text body ", 400));
        o.Handler = CacheOrigin.Fresh(text, ("Cache-Control", "max-age=60"), ("Content-Type", "text/plain"));
        using var client = new HttpClient { BaseAddress = o.Proxy.Address };
        var ct = TestContext.Current.CancellationToken;

        var all = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Get("gzip")));
        Assert.All(all, r => Assert.Equal(HttpVersion.Version20, r.Version));
        Assert.Equal(1, o.Hits);
        foreach (var response in all)
        {
            Assert.Equal("gzip", Header(response, "Content-Encoding"));
            await using var gzip = new GZipStream(await response.Content.ReadAsStreamAsync(ct), CompressionMode.Decompress);
            Assert.Equal(text, await new StreamReader(gzip).ReadToEndAsync(ct));
        }

        var hit = await Get(null);
        Assert.Equal(2, o.Hits);
        Assert.True(IsHit(await Get(null)));
        using var range = new HttpRequestMessage(HttpMethod.Get, "/h2") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 11);
        var partial = await client.SendAsync(range, ct);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(HttpVersion.Version20, partial.Version);
        Assert.Equal("h2 text body", await partial.Content.ReadAsStringAsync(ct));
        Assert.Equal(text, await hit.Content.ReadAsStringAsync(ct));

        async Task<HttpResponseMessage> Get(string? coding)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/h2") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            if (coding is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept-Encoding", coding);
            }

            var response = await client.SendAsync(request, ct);
            await response.Content.LoadIntoBufferAsync(ct);
            return response;
        }
    }
}
