using Microsoft.AspNetCore.Http;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>RFC 9111 §4.2: freshness lifetime, heuristic freshness and the Age calculation. Staleness comes from the origin's Date and Age, never from waiting.</summary>
public sealed class Rfc9111Section4_2FreshnessTests
{
    private static string Ago(int seconds) => DateTimeOffset.UtcNow.AddSeconds(-seconds).ToString("r");

    [Fact]
    public async Task S4_2_1_s_maxage_overrides_max_age_for_a_shared_cache()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=0, s-maxage=60"));
        await o.GetAsync("/a");
        var hit = await o.GetAsync("/a");

        Assert.True(IsHit(hit));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S4_2_1_expires_minus_date_is_the_lifetime_without_max_age()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = ctx =>
        {
            var date = DateTimeOffset.UtcNow;
            var expires = ctx.Request.Path == "/future" ? date.AddSeconds(120) : date.AddSeconds(-10);
            return CacheOrigin.Fresh("x", ("Date", date.ToString("r")), ("Expires", expires.ToString("r")), ("ETag", "\"v1\""))(ctx);
        };

        await o.GetAsync("/future");
        Assert.True(IsHit(await o.GetAsync("/future")));

        await o.GetAsync("/past");
        Assert.False(IsHit(await o.GetAsync("/past")));
        Assert.Equal(3, o.Hits);
    }

    [Fact]
    public async Task S4_2_1_an_invalid_expires_means_already_expired()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Expires", "0"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        await o.GetAsync("/a");

        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S4_2_2_heuristic_freshness_from_last_modified_when_enabled()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Last-Modified", Ago(10 * 86400)));
        await o.GetAsync("/a");
        var hit = await o.GetAsync("/a");

        Assert.True(IsHit(hit));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S4_2_2_no_heuristic_freshness_when_the_route_turns_it_off()
    {
        await using var o = await CacheOrigin.StartAsync("cache: { heuristic: false }");
        o.Handler = CacheOrigin.Fresh("x", ("Last-Modified", Ago(10 * 86400)));
        await o.GetAsync("/a");
        var second = await o.GetAsync("/a");

        Assert.False(IsHit(second));
        Assert.Equal(2, o.Hits);
        Assert.Equal(Ago(10 * 86400)[..16], o.Last.Headers["If-Modified-Since"][..16]);
    }

    [Fact]
    public async Task S4_2_2_no_heuristic_freshness_for_a_status_that_does_not_allow_it()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = ctx =>
        {
            ctx.Response.StatusCode = 307;
            ctx.Response.Headers.Location = "/b";
            ctx.Response.Headers.LastModified = Ago(10 * 86400);
            return Task.CompletedTask;
        };

        await o.GetAsync("/a");
        await o.GetAsync("/a");
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S4_2_3_age_counts_the_origins_age_and_the_time_stored_and_date_is_kept()
    {
        await using var o = await CacheOrigin.StartAsync();
        var date = Ago(5);
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=100"), ("Age", "30"), ("Date", date));
        await o.GetAsync("/a");
        var hit = await o.GetAsync("/a");

        Assert.True(IsHit(hit));
        Assert.Equal(date, Header(hit, "Date"));
        var age = int.Parse(Header(hit, "Age"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(age, 30, 100);

        // ttl = lifetime - age.
        var ttl = int.Parse(Status(hit).Split("ttl=")[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ttl, 0, 70);
    }

    [Fact]
    public async Task S4_2_3_apparent_age_from_an_old_date_makes_a_response_stale()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("Date", Ago(120)), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        var second = await o.GetAsync("/a");

        Assert.False(IsHit(second));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S4_2_an_age_field_beyond_max_age_makes_a_response_stale_on_arrival()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("Age", "61"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        await o.GetAsync("/a");

        Assert.Equal(2, o.Hits);
        Assert.Equal("\"v1\"", o.Last.Headers["If-None-Match"]);
    }
}
