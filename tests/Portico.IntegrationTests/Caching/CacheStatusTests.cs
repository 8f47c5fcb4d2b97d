using System.Net;
using Microsoft.AspNetCore.Http;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>RFC 9211: the Cache-Status field on every response of a cached route, and only there.</summary>
public sealed class CacheStatusTests
{
    [Fact]
    public async Task Rfc9211_hit_miss_stored_ttl_and_forward_reasons()
    {
        await using var o = await CacheOrigin.StartAsync(top: "x-note: cache status");
        o.Handler = ctx => ctx.Request.Path == "/private" ? CacheOrigin.Fresh("p", ("Cache-Control", "private"))(ctx) : CacheOrigin.Fresh("x")(ctx);

        var stored = DateTimeOffset.UtcNow;
        Assert.Equal("Portico; fwd=uri-miss; stored", Status(await o.GetAsync("/a")));
        var hitSent = DateTimeOffset.UtcNow;
        var hit = await o.GetAsync("/a");
        var hitReceived = DateTimeOffset.UtcNow;
        Assert.Matches(@"^Portico; hit; ttl=\d+$", Status(hit));

        // max-age=60; the range of Age and ttl follows from when the requests were sent.
        var ttl = int.Parse(Status(hit).Split("ttl=")[1], System.Globalization.CultureInfo.InvariantCulture);
        var age = int.Parse(Header(hit, "Age"), System.Globalization.CultureInfo.InvariantCulture);
        AgeAndTtl(age, ttl, lifetime: 60, hit.Headers.Date!.Value, stored, hitSent, hitReceived);
        Assert.Equal("Portico; fwd=uri-miss", Status(await o.GetAsync("/private")));
        Assert.Equal("Portico; fwd=method", Status(await o.SendAsync(HttpMethod.Options, "/a")));
    }

    [Fact]
    public async Task Rfc9211_a_route_without_a_cache_sends_no_cache_status()
    {
        await using var o = await CacheOrigin.StartAsync(route: "timeout: 30s");
        var response = await o.GetAsync("/a");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", Status(response));
        await o.GetAsync("/a");
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task Rfc9211_an_error_from_the_origin_still_carries_cache_status()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = ctx =>
        {
            ctx.Response.StatusCode = 500;
            return Task.CompletedTask;
        };

        Assert.Equal("Portico; fwd=uri-miss", Status(await o.GetAsync("/a")));
    }

    [Fact]
    public async Task A_reload_turns_the_cache_on_and_off_for_a_route_at_once()
    {
        await using var o = await CacheOrigin.StartAsync(route: "timeout: 30s");
        await o.GetAsync("/a");
        Assert.True((await o.Proxy.RewriteConfigAsync(o.Config("cache: {}"))).Applied);
        await o.GetAsync("/a");
        Assert.True(IsHit(await o.GetAsync("/a")));
        Assert.Equal(2, o.Hits);

        Assert.True((await o.Proxy.RewriteConfigAsync(o.Config("cache: { enabled: false }"))).Applied);
        var uncached = await o.GetAsync("/a");
        Assert.Equal("", Status(uncached));
        Assert.Equal(3, o.Hits);
    }
}
