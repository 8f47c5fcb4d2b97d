using System.Net;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>RFC 9111 §3.4 and RFC 9110 §14: byte ranges served from a stored full response.</summary>
public sealed class RangeFromCacheTests
{
    private static async Task<CacheOrigin> StartStoredAsync()
    {
        var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("0123456789", ("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"));
        await o.GetAsync("/a");
        return o;
    }

    [Theory]
    [InlineData("bytes=2-5", "2345", "bytes 2-5/10")]
    [InlineData("bytes=7-", "789", "bytes 7-9/10")]
    [InlineData("bytes=-3", "789", "bytes 7-9/10")]
    [InlineData("bytes=8-100", "89", "bytes 8-9/10")]
    public async Task S3_4_a_single_range_is_served_from_the_stored_response(string range, string body, string contentRange)
    {
        await using var o = await StartStoredAsync();
        var partial = await o.GetAsync("/a", ("Range", range));

        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(body, await BodyAsync(partial));
        Assert.Equal(contentRange, partial.Content.Headers.ContentRange?.ToString());
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S3_4_an_unsatisfiable_range_gets_416()
    {
        await using var o = await StartStoredAsync();
        var response = await o.GetAsync("/a", ("Range", "bytes=50-60"));

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */10", response.Content.Headers.ContentRange?.ToString());
    }

    [Theory]
    [InlineData("\"v1\"", HttpStatusCode.PartialContent)]
    [InlineData("\"v0\"", HttpStatusCode.OK)]
    [InlineData("Mon, 01 Jan 2024 00:00:00 GMT", HttpStatusCode.PartialContent)]
    [InlineData("Tue, 02 Jan 2024 00:00:00 GMT", HttpStatusCode.OK)]
    public async Task S3_4_if_range_must_match_or_the_whole_response_is_sent(string ifRange, HttpStatusCode expected)
    {
        await using var o = await StartStoredAsync();
        var response = await o.GetAsync("/a", ("Range", "bytes=0-1"), ("If-Range", ifRange));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.OK ? "0123456789" : "01", await BodyAsync(response));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S3_4_several_ranges_get_the_whole_response()
    {
        await using var o = await StartStoredAsync();
        var response = await o.GetAsync("/a", ("Range", "bytes=0-1,4-5"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(IsHit(response));
    }
}
