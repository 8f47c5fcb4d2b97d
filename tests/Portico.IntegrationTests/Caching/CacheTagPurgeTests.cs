using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// Backends tag responses (`cache.tagField`, `Cache-Tag` by default); the admin API purges by
/// tag, removing (hard) or marking stale (soft); the tag field never reaches a client.
/// </summary>
public sealed class CacheTagPurgeTests
{
    private const string Token = "tag-token-0123456789";
    private static readonly string Admin = $"admin: {{ address: \"127.0.0.1:0\", token: {Token} }}";

    [Fact]
    public async Task Purging_one_tag_removes_only_the_responses_with_it_and_the_tag_field_never_reaches_the_client()
    {
        await using var o = await CacheOrigin.StartAsync(top: Admin);
        o.Handler = ctx => CacheOrigin.Fresh("hello", ("Cache-Control", "max-age=60"), ("Cache-Tag", ctx.Request.Path.Value switch
        {
            "/a" => "product-1, list",
            "/b" => "product-2,list",
            _ => "other",
        }))(ctx);
        var ct = TestContext.Current.CancellationToken;
        foreach (var path in new[] { "/a", "/b", "/c" })
        {
            var miss = await o.GetAsync(path);
            Assert.False(IsHit(miss));
            Assert.Equal("", Header(miss, "Cache-Tag"));
            var hit = await o.GetAsync(path);
            Assert.True(IsHit(hit));
            Assert.Equal("", Header(hit, "Cache-Tag"));
        }

        // Not stored either (a method the cache forwards as it is): still never sent on.
        Assert.Equal("", Header(await o.SendAsync(HttpMethod.Options, "/a"), "Cache-Tag"));

        using var admin = AdminClient(o);
        using var anonymous = new HttpClient { BaseAddress = o.Proxy.AdminAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/cache/purge?tag=list", null, ct)).StatusCode);
        var purge = await admin.PostAsync("/api/cache/purge?tag=product-1", null, ct);
        Assert.Equal("{\"purged\":1}", await purge.Content.ReadAsStringAsync(ct));
        Assert.False(IsHit(await o.GetAsync("/a")));
        Assert.True(IsHit(await o.GetAsync("/b")));
        Assert.True(IsHit(await o.GetAsync("/c")));

        var both = await admin.PostAsync("/api/cache/purge?tag=list", null, ct);
        Assert.Equal("{\"purged\":2}", await both.Content.ReadAsStringAsync(ct));
        Assert.False(IsHit(await o.GetAsync("/b")));
        Assert.True(IsHit(await o.GetAsync("/c")));
        Assert.Equal("{\"purged\":0}", await (await admin.PostAsync("/api/cache/purge?tag=nothing", null, ct)).Content.ReadAsStringAsync(ct));
        Assert.Contains(o.Proxy.Logs.Messages(5050), m => m == "cache: hard purge by tag list: 2 stored response(s)");

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/cache/purge?tag=list&url=http://a/", null, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/cache/purge?url=http://a/&soft=true", null, ct)).StatusCode);
    }

    [Fact]
    public async Task A_soft_purge_makes_the_next_request_revalidate_and_a_hard_purge_makes_it_a_full_miss()
    {
        await using var o = await CacheOrigin.StartAsync(top: Admin);
        o.Handler = Validated;
        var ct = TestContext.Current.CancellationToken;
        await o.GetAsync("/v");
        Assert.True(IsHit(await o.GetAsync("/v")));
        using var admin = AdminClient(o);

        var soft = await admin.PostAsync("/api/cache/purge?tag=t1&soft=true", null, ct);
        Assert.Equal("{\"purged\":1}", await soft.Content.ReadAsStringAsync(ct));
        var revalidated = await o.GetAsync("/v");
        Assert.Equal(2, o.Hits);
        Assert.Equal("\"v1\"", o.Last.Headers["If-None-Match"]);
        Assert.StartsWith("Portico; fwd=stale; fwd-status=304", Status(revalidated), StringComparison.Ordinal);
        Assert.Equal("body v1", await BodyAsync(revalidated));
        // Validated: fresh again, and still tagged.
        Assert.True(IsHit(await o.GetAsync("/v")));

        var hard = await admin.PostAsync("/api/cache/purge?tag=t2", null, ct);
        Assert.Equal("{\"purged\":1}", await hard.Content.ReadAsStringAsync(ct));
        var miss = await o.GetAsync("/v");
        Assert.Equal(3, o.Hits);
        Assert.False(o.Last.Headers.ContainsKey("If-None-Match"));
        Assert.StartsWith("Portico; fwd=uri-miss", Status(miss), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_soft_purge_stale_while_revalidate_serves_the_stored_response_and_revalidates_behind_it()
    {
        await using var o = await CacheOrigin.StartAsync(top: Admin);
        o.Handler = ctx => Validated(ctx, "max-age=600, stale-while-revalidate=60");
        var ct = TestContext.Current.CancellationToken;
        await o.GetAsync("/w");
        using var admin = AdminClient(o);
        Assert.Equal("{\"purged\":1}", await (await admin.PostAsync("/api/cache/purge?tag=t1&soft=true", null, ct)).Content.ReadAsStringAsync(ct));

        var stale = await o.GetAsync("/w");
        Assert.True(IsHit(stale));
        Assert.Contains("ttl=-", Status(stale), StringComparison.Ordinal);
        await Poll.UntilAsync(() => o.Hits == 2, "the background revalidation");
        Assert.Equal("\"v1\"", o.Last.Headers["If-None-Match"]);
        await Poll.UntilAsync(async () => Status(await o.GetAsync("/w")) is var s && s.StartsWith("Portico; hit", StringComparison.Ordinal) && !s.Contains("ttl=-", StringComparison.Ordinal), "a fresh hit after the revalidation");
    }

    [Fact]
    public async Task The_tag_field_is_configurable_and_space_separated_tags_read()
    {
        await using var o = await CacheOrigin.StartAsync(top: Admin + "\ncache: { tagField: Surrogate-Key }");
        o.Handler = CacheOrigin.Fresh("hello", ("Cache-Control", "max-age=60"), ("Surrogate-Key", "k1  k2"), ("Cache-Tag", "passes"));
        var ct = TestContext.Current.CancellationToken;
        var miss = await o.GetAsync("/s");
        Assert.Equal("", Header(miss, "Surrogate-Key"));
        Assert.Equal("passes", Header(miss, "Cache-Tag"));
        Assert.Equal("", Header(await o.GetAsync("/s"), "Surrogate-Key"));
        using var admin = AdminClient(o);
        Assert.Equal("{\"purged\":1}", await (await admin.PostAsync("/api/cache/purge?tag=k2", null, ct)).Content.ReadAsStringAsync(ct));
        Assert.False(IsHit(await o.GetAsync("/s")));
    }

    private static HttpClient AdminClient(CacheOrigin o)
    {
        var admin = new HttpClient { BaseAddress = o.Proxy.AdminAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return admin;
    }

    // ETag "v1", tags t1 and t2; a matching If-None-Match gets 304.
    private static Task Validated(HttpContext ctx) => Validated(ctx, "max-age=600");

    private static Task Validated(HttpContext ctx, string cacheControl)
    {
        ctx.Response.Headers.CacheControl = cacheControl;
        ctx.Response.Headers.ETag = "\"v1\"";
        ctx.Response.Headers["Cache-Tag"] = "t1 t2";
        if (ctx.Request.Headers.IfNoneMatch == "\"v1\"")
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        return ctx.Response.WriteAsync("body v1");
    }
}
