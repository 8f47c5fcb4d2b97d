using System.Net;
using Microsoft.AspNetCore.Http;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// RFC 9111 §4.3.5: a HEAD is answered from a stored GET, and a 200 to a HEAD that reached the
/// origin updates the stored GET response when its validators and Content-Length agree with it,
/// or makes it go (stale: here removed) when they differ.
/// </summary>
public sealed class Rfc9111Section4_3_5HeadTests
{
    /// <summary>GET: "hello" with X-Version 1, stale on arrival (Age past max-age) with ETag "v1". HEAD: what <paramref name="head"/> sets.</summary>
    private static Func<HttpContext, Task> Origin(Action<HttpResponse> head) => ctx =>
    {
        if (HttpMethods.IsHead(ctx.Request.Method))
        {
            ctx.Response.ContentType = "text/plain";
            head(ctx.Response);
            return Task.CompletedTask;
        }

        return CacheOrigin.Fresh("hello", ("Cache-Control", "max-age=60"), ("Age", "100"), ("ETag", "\"v1\""), ("X-Version", "1"))(ctx);
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_head_is_answered_from_a_stored_get(bool fastPath)
    {
        await using var o = await CacheOrigin.StartAsync(fastPath: fastPath);
        o.Handler = CacheOrigin.Fresh("hello", ("Cache-Control", "max-age=60"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        var head = await o.SendAsync(HttpMethod.Head, "/a");

        Assert.True(IsHit(head));
        Assert.Equal("5", Header(head, "Content-Length"));
        Assert.Equal("\"v1\"", Header(head, "ETag"));
        Assert.Equal("", await BodyAsync(head));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task A_head_response_with_the_same_validators_updates_the_stored_get()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = Origin(r =>
        {
            r.Headers.CacheControl = "max-age=600";
            r.Headers.ETag = "\"v1\"";
            r.Headers["X-Version"] = "2";
            r.ContentLength = 5;
        });
        await o.GetAsync("/a");
        var head = await o.SendAsync(HttpMethod.Head, "/a");
        var get = await o.GetAsync("/a");

        Assert.Equal("HEAD", o.Last.Method);
        Assert.Equal("2", Header(head, "X-Version"));
        // The stored GET took the HEAD response's fields, its freshness included, and kept its body.
        Assert.True(IsHit(get));
        Assert.Equal("hello", await BodyAsync(get));
        Assert.Equal("2", Header(get, "X-Version"));
        Assert.Equal("max-age=600", Header(get, "Cache-Control"));
        Assert.Equal(2, o.Hits);
    }

    [Theory]
    [InlineData("ETag", "\"v2\"")]
    [InlineData("Content-Length", "6")]
    [InlineData("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")]
    public async Task A_head_response_that_differs_makes_the_stored_get_go(string field, string value)
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = Origin(r =>
        {
            r.Headers.CacheControl = "max-age=600";
            r.Headers.ETag = "\"v1\"";
            r.ContentLength = 5;
            r.Headers[field] = value;
        });
        await o.GetAsync("/a");
        await o.SendAsync(HttpMethod.Head, "/a");
        var get = await o.GetAsync("/a");

        Assert.False(IsHit(get));
        Assert.Equal("Portico; fwd=uri-miss; stored", Status(get));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(3, o.Hits);
    }

    [Fact]
    public async Task A_head_response_that_forbids_storing_makes_the_stored_get_go()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = Origin(r =>
        {
            r.Headers.CacheControl = "no-store";
            r.Headers.ETag = "\"v1\"";
        });
        await o.GetAsync("/a");
        await o.SendAsync(HttpMethod.Head, "/a");

        Assert.False(IsHit(await o.GetAsync("/a")));
        Assert.Equal(3, o.Hits);
    }
}
