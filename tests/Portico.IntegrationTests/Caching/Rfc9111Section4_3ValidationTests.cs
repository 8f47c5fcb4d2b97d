using System.Net;
using Microsoft.AspNetCore.Http;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>RFC 9111 §4.3: revalidating stale entries with the origin, and answering clients' conditional requests.</summary>
public sealed class Rfc9111Section4_3ValidationTests
{
    /// <summary>Stale on arrival (Age past max-age), with an ETag; a conditional request matching it gets 304 with a new field.</summary>
    private static Func<HttpContext, Task> Versioned(string etag, string body, string freshness = "max-age=60") => ctx =>
    {
        var firstTime = !ctx.Request.Headers.IfNoneMatch.Any();
        ctx.Response.Headers.ETag = etag;
        ctx.Response.Headers["X-Seen"] = firstTime ? "first" : "revalidated";
        if (!firstTime && ctx.Request.Headers.IfNoneMatch == etag)
        {
            ctx.Response.Headers.CacheControl = freshness;
            ctx.Response.StatusCode = 304;
            return Task.CompletedTask;
        }

        ctx.Response.Headers.CacheControl = "max-age=60";
        ctx.Response.Headers.Age = "100";
        return ctx.Response.WriteAsync(body);
    };

    [Fact]
    public async Task S4_3_1_a_stale_entry_is_revalidated_with_if_none_match_and_a_304_updates_it()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = Versioned("\"v1\"", "body-1");
        await o.GetAsync("/a");
        var revalidated = await o.GetAsync("/a");

        Assert.Equal(2, o.Hits);
        Assert.Equal("\"v1\"", o.Last.Headers["If-None-Match"]);
        Assert.Equal(HttpStatusCode.OK, revalidated.StatusCode);
        Assert.Equal("body-1", await BodyAsync(revalidated));
        Assert.StartsWith("Portico; fwd=stale; fwd-status=304; stored", Status(revalidated));

        // §4.3.4: the 304's fields replaced the stored ones, including its fresh Cache-Control.
        Assert.Equal("revalidated", Header(revalidated, "X-Seen"));
        var hit = await o.GetAsync("/a");
        Assert.True(IsHit(hit));
        Assert.Equal("revalidated", Header(hit, "X-Seen"));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S4_3_1_last_modified_is_sent_as_if_modified_since()
    {
        await using var o = await CacheOrigin.StartAsync();
        const string modified = "Mon, 01 Jan 2024 00:00:00 GMT";
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=0"), ("Last-Modified", modified));
        await o.GetAsync("/a");
        await o.GetAsync("/a");

        Assert.Equal(modified, o.Last.Headers["If-Modified-Since"]);
    }

    [Fact]
    public async Task S4_3_3_a_full_response_to_the_revalidation_replaces_the_entry()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("old", ("Cache-Control", "max-age=0"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        o.Handler = CacheOrigin.Fresh("new", ("Cache-Control", "max-age=60"), ("ETag", "\"v2\""));
        var replaced = await o.GetAsync("/a");
        var hit = await o.GetAsync("/a");

        Assert.Equal("new", await BodyAsync(replaced));
        Assert.Equal("Portico; fwd=stale; fwd-status=200; stored", Status(replaced));
        Assert.Equal("new", await BodyAsync(hit));
        Assert.True(IsHit(hit));
    }

    [Fact]
    public async Task S4_3_2_a_client_if_none_match_on_a_fresh_entry_gets_304_from_the_cache()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        var matching = await o.GetAsync("/a", ("If-None-Match", "W/\"v0\", \"v1\""));
        var other = await o.GetAsync("/a", ("If-None-Match", "\"v9\""));

        Assert.Equal(HttpStatusCode.NotModified, matching.StatusCode);
        Assert.Equal("\"v1\"", Header(matching, "ETag"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S4_3_2_a_client_if_modified_since_on_a_fresh_entry_gets_304_from_the_cache()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"));
        await o.GetAsync("/a");
        var notModified = await o.GetAsync("/a", ("If-Modified-Since", "Tue, 02 Jan 2024 00:00:00 GMT"));
        var modified = await o.GetAsync("/a", ("If-Modified-Since", "Sun, 31 Dec 2023 00:00:00 GMT"));

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(HttpStatusCode.OK, modified.StatusCode);
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S4_3_2_a_client_conditional_on_a_revalidated_entry_is_answered_after_validation()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = Versioned("\"v1\"", "body-1");
        await o.GetAsync("/a");
        var conditional = await o.GetAsync("/a", ("If-None-Match", "\"v1\""));

        Assert.Equal(HttpStatusCode.NotModified, conditional.StatusCode);
        Assert.Equal(2, o.Hits);
    }
}
