using Microsoft.AspNetCore.Http;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// RFC 9110 §9.3.3 (RFC 9111 §4): a 200 to POST with explicit freshness and a Content-Location
/// naming the POST's own URI is stored and answers later GETs and HEADs of that URI; the POST's
/// invalidation (§4.4) runs before, so it is what remains. Anything short of that stores nothing.
/// </summary>
public sealed class Rfc9110PostResponseReuseTests
{
    /// <summary>GET: "from-get", fresh. POST: 200 "from-post" with the fields the test gives.</summary>
    private static async Task<CacheOrigin> StartAsync(bool? fastPath, params (string Name, string Value)[] postFields)
    {
        var o = await CacheOrigin.StartAsync(fastPath: fastPath);
        o.Handler = ctx => HttpMethods.IsPost(ctx.Request.Method) ? CacheOrigin.Fresh("from-post", postFields)(ctx) : CacheOrigin.Fresh("from-get")(ctx);
        return o;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_fresh_post_response_for_its_own_uri_answers_later_gets_and_heads(bool fastPath)
    {
        await using var o = await StartAsync(fastPath, ("Cache-Control", "max-age=60"), ("Content-Location", "/a"));
        var post = await o.SendAsync(HttpMethod.Post, "/a");
        var get = await o.GetAsync("/a");
        var head = await o.SendAsync(HttpMethod.Head, "/a");

        Assert.Equal("Portico; fwd=method; stored", Status(post));
        Assert.True(IsHit(get));
        Assert.Equal("from-post", await BodyAsync(get));
        Assert.True(IsHit(head));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task The_post_replaces_a_stored_get_response()
    {
        await using var o = await StartAsync(null, ("Cache-Control", "max-age=60"), ("Content-Location", "http://127.0.0.1/a"));
        o.Proxy.Client.DefaultRequestHeaders.Host = "127.0.0.1";
        await o.GetAsync("/a");
        await o.SendAsync(HttpMethod.Post, "/a");
        var get = await o.GetAsync("/a");

        Assert.True(IsHit(get));
        Assert.Equal("from-post", await BodyAsync(get));
        Assert.Equal(2, o.Hits);
    }

    public static TheoryData<string, string, string> NotReusable() => new()
    {
        // No Content-Location, or one naming another URI (§9.3.3).
        { "Cache-Control", "max-age=60", "" },
        { "Cache-Control", "max-age=60", "/b" },
        { "Cache-Control", "max-age=60", "/a?x=1" },
        // No explicit freshness: public and a validator are not enough.
        { "Cache-Control", "public", "/a" },
        { "ETag", "\"v1\"", "/a" },
        // The request or response forbids storing.
        { "Cache-Control", "max-age=60, no-store", "/a" },
        { "Cache-Control", "max-age=60, private", "/a" },
    };

    [Theory]
    [MemberData(nameof(NotReusable))]
    public async Task Otherwise_the_post_response_is_not_stored(string field, string value, string contentLocation)
    {
        (string, string)[] fields = contentLocation.Length == 0 ? [(field, value)] : [(field, value), ("Content-Location", contentLocation)];
        await using var o = await StartAsync(null, fields);
        var post = await o.SendAsync(HttpMethod.Post, "/a");
        var get = await o.GetAsync("/a");

        Assert.Equal("Portico; fwd=method", Status(post));
        Assert.Equal("from-get", await BodyAsync(get));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task A_201_to_post_is_not_stored()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = ctx =>
        {
            if (HttpMethods.IsPost(ctx.Request.Method))
            {
                ctx.Response.StatusCode = StatusCodes.Status201Created;
                return CacheOrigin.Fresh("created", ("Cache-Control", "max-age=60"), ("Content-Location", "/a"))(ctx);
            }

            return CacheOrigin.Fresh("from-get")(ctx);
        };
        await o.SendAsync(HttpMethod.Post, "/a");

        Assert.Equal("from-get", await BodyAsync(await o.GetAsync("/a")));
        Assert.Equal(2, o.Hits);
    }
}
