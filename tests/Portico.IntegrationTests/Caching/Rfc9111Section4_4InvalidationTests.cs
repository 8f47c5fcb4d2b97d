using Microsoft.AspNetCore.Http;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>RFC 9111 §4.4: unsafe methods invalidate what they may have changed.</summary>
public sealed class Rfc9111Section4_4InvalidationTests
{
    private static async Task<CacheOrigin> StartAsync()
    {
        var o = await CacheOrigin.StartAsync();
        o.Handler = ctx =>
        {
            if (HttpMethods.IsGet(ctx.Request.Method))
            {
                return CacheOrigin.Fresh("x")(ctx);
            }

            ctx.Response.StatusCode = ctx.Request.Headers["X-Fail"] == "1" ? 500 : 201;
            if (ctx.Request.Headers["X-Location"] is { Count: > 0 } location)
            {
                ctx.Response.Headers.Location = location;
            }

            if (ctx.Request.Headers["X-Content-Location"] is { Count: > 0 } contentLocation)
            {
                ctx.Response.Headers.ContentLocation = contentLocation;
            }

            return Task.CompletedTask;
        };
        return o;
    }

    [Fact]
    public async Task S4_4_a_successful_unsafe_request_invalidates_its_target()
    {
        await using var o = await StartAsync();
        await o.GetAsync("/item");
        var post = await o.SendAsync(HttpMethod.Post, "/item");
        var after = await o.GetAsync("/item");

        Assert.Equal("Portico; fwd=method", Status(post));
        Assert.False(IsHit(after));
        Assert.Equal(3, o.Hits);
    }

    [Fact]
    public async Task S4_4_location_and_content_location_on_the_same_origin_are_invalidated()
    {
        await using var o = await StartAsync();
        await o.GetAsync("/list");
        await o.GetAsync("/other");
        await o.GetAsync("/far");
        await o.SendAsync(HttpMethod.Put, "/item", ("X-Location", "/list"), ("X-Content-Location", "other"));
        await o.SendAsync(HttpMethod.Delete, "/item", ("X-Location", "http://elsewhere.example/far"));

        Assert.False(IsHit(await o.GetAsync("/list")));
        Assert.False(IsHit(await o.GetAsync("/other")));
        Assert.True(IsHit(await o.GetAsync("/far")));
    }

    [Fact]
    public async Task S4_4_an_error_response_invalidates_nothing()
    {
        await using var o = await StartAsync();
        await o.GetAsync("/item");
        await o.SendAsync(HttpMethod.Post, "/item", ("X-Fail", "1"));

        Assert.True(IsHit(await o.GetAsync("/item")));
    }
}
