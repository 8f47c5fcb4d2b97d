using Microsoft.AspNetCore.Http;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>The store's limits: bodies over `cache.maxObjectSize` pass through whole and uncached; `cache.maxSize` evicts.</summary>
public sealed class CacheStoreLimitsTests
{
    private static readonly string Big = string.Concat(Enumerable.Range(0, 400).Select(i => $"{i:D9}\n"));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_max_object_size_streams_through_whole_and_is_not_stored(bool lengthKnown)
    {
        await using var o = await CacheOrigin.StartAsync(top: "cache: { maxSize: 64KiB, maxObjectSize: 1KiB }");
        o.Handler = async ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            if (lengthKnown)
            {
                ctx.Response.ContentLength = Big.Length;
            }

            // Several writes, so a body of unknown length crosses the cap midway.
            foreach (var chunk in Big.Chunk(500))
            {
                await ctx.Response.WriteAsync(new string(chunk));
                await ctx.Response.Body.FlushAsync();
            }
        };

        var first = await o.GetAsync("/big");
        var second = await o.GetAsync("/big");

        Assert.Equal(Big, await BodyAsync(first));
        Assert.Equal(Big, await BodyAsync(second));
        Assert.False(IsHit(second));
        Assert.Equal(2, o.Hits);
        Assert.Equal(lengthKnown ? "Portico; fwd=uri-miss" : "Portico; fwd=uri-miss; stored", Status(first));
    }

    [Fact]
    public async Task The_least_recently_used_url_is_evicted_when_max_size_is_reached()
    {
        await using var o = await CacheOrigin.StartAsync(top: "cache: { maxSize: 64KiB, maxObjectSize: 30KiB }");
        var body = new string('x', 25 * 1024);
        o.Handler = CacheOrigin.Fresh(body);

        await o.GetAsync("/1");
        await o.GetAsync("/2");
        Assert.True(IsHit(await o.GetAsync("/1")));
        await o.GetAsync("/3");

        Assert.True(IsHit(await o.GetAsync("/1")));
        Assert.True(IsHit(await o.GetAsync("/3")));
        Assert.False(IsHit(await o.GetAsync("/2")));
    }
}
