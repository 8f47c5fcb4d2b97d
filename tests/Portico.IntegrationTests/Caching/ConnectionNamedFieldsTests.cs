using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// RFC 9110 §7.6.1: the fields a response's Connection field names belong to that connection; a
/// proxy forwards none of them and a cache stores none of them. Framing fields stay, since each
/// path frames the body from them. Both paths: relayed (fast path), forwarded, stored, hit.
/// </summary>
public sealed class ConnectionNamedFieldsTests
{
    private static Task Answer(Microsoft.AspNetCore.Http.HttpContext ctx, string cacheControl)
    {
        ctx.Response.Headers.Connection = "X-Hop, Content-Length, X-Other";
        ctx.Response.Headers["X-Hop"] = "backend-connection";
        ctx.Response.Headers["X-Other"] = "also";
        ctx.Response.Headers["X-Kept"] = "end-to-end";
        ctx.Response.ContentLength = 5;
        return CacheOrigin.Fresh("hello", ("Cache-Control", cacheControl))(ctx);
    }

    private static void HasOnlyEndToEndFields(HttpResponseMessage response)
    {
        Assert.Equal("", Header(response, "X-Hop"));
        Assert.Equal("", Header(response, "X-Other"));
        Assert.Equal("end-to-end", Header(response, "X-Kept"));
        Assert.Equal("5", Header(response, "Content-Length"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Named_fields_are_neither_forwarded_nor_stored(bool fastPath)
    {
        await using var o = await CacheOrigin.StartAsync(fastPath: fastPath);
        o.Handler = ctx => Answer(ctx, "max-age=60");
        var miss = await o.GetAsync("/a");
        var hit = await o.GetAsync("/a");

        Assert.True(IsHit(hit));
        Assert.Equal(1, o.Hits);
        HasOnlyEndToEndFields(miss);
        HasOnlyEndToEndFields(hit);
        Assert.Equal("hello", await BodyAsync(hit));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Named_fields_are_not_relayed_on_an_uncached_route(bool fastPath)
    {
        await using var o = await CacheOrigin.StartAsync(route: "", fastPath: fastPath);
        o.Handler = ctx => Answer(ctx, "no-store");
        var response = await o.GetAsync("/a");

        HasOnlyEndToEndFields(response);
        Assert.Equal("hello", await BodyAsync(response));
    }
}
