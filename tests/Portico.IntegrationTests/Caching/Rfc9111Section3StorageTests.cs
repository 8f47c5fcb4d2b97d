using System.Net;
using Microsoft.AspNetCore.Http;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>RFC 9111 §3: which responses a shared cache stores.</summary>
public sealed class Rfc9111Section3StorageTests
{
    [Fact]
    public async Task S3_a_response_with_max_age_is_stored_and_reused()
    {
        await using var o = await CacheOrigin.StartAsync();
        var first = await o.GetAsync("/a");
        var second = await o.GetAsync("/a");

        Assert.Equal("hello", await BodyAsync(second));
        Assert.Equal(1, o.Hits);
        Assert.Equal("Portico; fwd=uri-miss; stored", Status(first));
        Assert.StartsWith("Portico; hit; ttl=", Status(second));
    }

    [Theory]
    [InlineData("no-store")]
    [InlineData("private")]
    [InlineData("private, max-age=60")]
    [InlineData("max-age=60, no-store")]
    public async Task S3_responses_a_shared_cache_must_not_store_are_forwarded_every_time(string cacheControl)
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", cacheControl));
        await o.GetAsync("/a");
        var second = await o.GetAsync("/a");

        Assert.Equal(2, o.Hits);
        Assert.Equal("Portico; fwd=uri-miss", Status(second));
    }

    [Fact]
    public async Task S3_request_no_store_keeps_the_response_out_of_the_store()
    {
        await using var o = await CacheOrigin.StartAsync();
        await o.GetAsync("/a", ("Cache-Control", "no-store"));
        await o.GetAsync("/a");

        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S3_a_status_not_heuristically_cacheable_is_stored_only_with_explicit_freshness()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = ctx =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = "/elsewhere";
            ctx.Response.Headers.LastModified = "Mon, 01 Jan 2024 00:00:00 GMT";
            if (ctx.Request.Path == "/explicit")
            {
                ctx.Response.Headers.CacheControl = "max-age=60";
            }

            return Task.CompletedTask;
        };

        await o.GetAsync("/plain");
        await o.GetAsync("/plain");
        Assert.Equal(2, o.Hits);

        await o.GetAsync("/explicit");
        var hit = await o.GetAsync("/explicit");
        Assert.Equal(3, o.Hits);
        Assert.Equal(HttpStatusCode.Redirect, hit.StatusCode);
        Assert.True(IsHit(hit));
    }

    [Fact]
    public async Task S3_a_heuristically_cacheable_404_with_max_age_is_stored()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = ctx =>
        {
            ctx.Response.StatusCode = 404;
            ctx.Response.Headers.CacheControl = "max-age=60";
            return ctx.Response.WriteAsync("gone");
        };

        await o.GetAsync("/missing");
        var hit = await o.GetAsync("/missing");

        Assert.Equal(HttpStatusCode.NotFound, hit.StatusCode);
        Assert.Equal("gone", await BodyAsync(hit));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S3_1_hop_by_hop_fields_and_private_named_fields_are_not_stored()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60, private=\"X-Secret\""), ("X-Secret", "s3cr3t"), ("X-Kept", "yes"));
        var first = await o.GetAsync("/a");
        var hit = await o.GetAsync("/a");

        Assert.Equal("s3cr3t", Header(first, "X-Secret"));
        Assert.True(IsHit(hit));
        Assert.Equal("", Header(hit, "X-Secret"));
        Assert.Equal("yes", Header(hit, "X-Kept"));
    }

    [Fact]
    public async Task S3_a_response_with_set_cookie_is_not_stored()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("Set-Cookie", "session=1"));
        await o.GetAsync("/a");
        var second = await o.GetAsync("/a");

        Assert.Equal(2, o.Hits);
        Assert.Equal("session=1", Header(second, "Set-Cookie"));
    }

    [Fact]
    public async Task S3_2_head_is_answered_from_a_stored_get_and_a_head_miss_stores_nothing()
    {
        await using var o = await CacheOrigin.StartAsync();
        await o.SendAsync(HttpMethod.Head, "/a");
        Assert.Equal(1, o.Hits);

        await o.GetAsync("/a");
        var head = await o.SendAsync(HttpMethod.Head, "/a");

        Assert.Equal(2, o.Hits);
        Assert.True(IsHit(head));
        Assert.Equal(5, head.Content.Headers.ContentLength);
        Assert.Equal("", await BodyAsync(head));
    }

    [Fact]
    public async Task S3_3_a_partial_response_from_the_origin_is_not_stored_as_a_full_one()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            if (ctx.Request.Headers.Range.Count > 0)
            {
                ctx.Response.StatusCode = 206;
                ctx.Response.Headers.ContentRange = "bytes 0-1/5";
                return ctx.Response.WriteAsync("he");
            }

            return ctx.Response.WriteAsync("hello");
        };

        var partial = await o.GetAsync("/a", ("Range", "bytes=0-1"));
        var full = await o.GetAsync("/a");

        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("hello", await BodyAsync(full));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S3_5_a_response_to_a_request_with_authorization_is_reused_only_when_its_directives_allow()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = ctx => CacheOrigin.Fresh("for " + ctx.Request.Headers.Authorization, ("Cache-Control", ctx.Request.Path == "/public" ? "public, max-age=60" : "max-age=60"))(ctx);

        await o.GetAsync("/private", ("Authorization", "Bearer alice"));
        var bob = await o.GetAsync("/private", ("Authorization", "Bearer bob"));
        Assert.Equal("for Bearer bob", await BodyAsync(bob));
        Assert.Equal(2, o.Hits);

        await o.GetAsync("/public", ("Authorization", "Bearer alice"));
        var again = await o.GetAsync("/public", ("Authorization", "Bearer alice"));
        Assert.True(IsHit(again));
        Assert.Equal(3, o.Hits);
    }

    [Fact]
    public async Task S3_a_stored_response_to_an_anonymous_request_is_not_reused_for_an_authorized_one_without_public()
    {
        await using var o = await CacheOrigin.StartAsync();
        await o.GetAsync("/a");
        var authorized = await o.GetAsync("/a", ("Authorization", "Bearer alice"));

        Assert.False(IsHit(authorized));
        Assert.Equal(2, o.Hits);
    }
}
