using System.Net;
using Microsoft.AspNetCore.Http;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>RFC 9111 §5.2 (Cache-Control request and response directives) and §5.4 (Pragma).</summary>
public sealed class Rfc9111Section5_2DirectivesTests
{
    [Fact]
    public async Task S5_2_1_4_request_no_cache_revalidates_a_fresh_entry()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        var forced = await o.GetAsync("/a", ("Cache-Control", "no-cache"));

        Assert.Equal(2, o.Hits);
        Assert.Equal("\"v1\"", o.Last.Headers["If-None-Match"]);
        Assert.StartsWith("Portico; fwd=request", Status(forced));
    }

    [Fact]
    public async Task S5_4_request_pragma_no_cache_without_cache_control_revalidates()
    {
        await using var o = await CacheOrigin.StartAsync();
        await o.GetAsync("/a");
        await o.GetAsync("/a", ("Pragma", "no-cache"));
        await o.GetAsync("/a", ("Pragma", "no-cache"), ("Cache-Control", "max-stale=5"));

        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S5_2_1_1_request_max_age_zero_revalidates()
    {
        await using var o = await CacheOrigin.StartAsync();
        await o.GetAsync("/a");
        var second = await o.GetAsync("/a", ("Cache-Control", "max-age=0"));
        var third = await o.GetAsync("/a", ("Cache-Control", "max-age=3600"));

        Assert.False(IsHit(second));
        Assert.True(IsHit(third));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S5_2_1_2_request_max_stale_accepts_a_stale_entry_within_its_bound()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("Age", "90"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        var within = await o.GetAsync("/a", ("Cache-Control", "max-stale=600"));
        var any = await o.GetAsync("/a", ("Cache-Control", "max-stale"));
        var beyond = await o.GetAsync("/a", ("Cache-Control", "max-stale=5"));

        Assert.True(IsHit(within), Status(within));
        Assert.Contains("ttl=-", Status(within));
        Assert.True(IsHit(any));
        Assert.False(IsHit(beyond));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S5_2_1_3_request_min_fresh_wants_an_entry_fresh_for_that_much_longer()
    {
        await using var o = await CacheOrigin.StartAsync();
        await o.GetAsync("/a");
        Assert.True(IsHit(await o.GetAsync("/a", ("Cache-Control", "min-fresh=10"))));
        Assert.False(IsHit(await o.GetAsync("/a", ("Cache-Control", "min-fresh=600"))));
    }

    [Fact]
    public async Task S5_2_1_7_only_if_cached_answers_504_when_nothing_fits_and_never_forwards()
    {
        await using var o = await CacheOrigin.StartAsync();
        var miss = await o.GetAsync("/a", ("Cache-Control", "only-if-cached"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, miss.StatusCode);
        Assert.Equal("Portico; fwd=miss; detail=only-if-cached", Status(miss));
        Assert.Equal(0, o.Hits);

        await o.GetAsync("/a");
        var hit = await o.GetAsync("/a", ("Cache-Control", "only-if-cached"));
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S5_2_2_4_response_no_cache_is_stored_but_always_revalidated()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "no-cache, max-age=60"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        await o.GetAsync("/a", ("Cache-Control", "max-stale"));

        Assert.Equal(2, o.Hits);
        Assert.Equal("\"v1\"", o.Last.Headers["If-None-Match"]);
    }

    [Fact]
    public async Task S5_2_2_4_response_no_cache_with_field_names_drops_those_fields_from_unvalidated_hits()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60, no-cache=\"X-Token\""), ("X-Token", "t"), ("X-Other", "o"));
        await o.GetAsync("/a");
        var hit = await o.GetAsync("/a");

        Assert.True(IsHit(hit));
        Assert.Equal("", Header(hit, "X-Token"));
        Assert.Equal("o", Header(hit, "X-Other"));
    }

    [Theory]
    [InlineData("max-age=60, must-revalidate")]
    [InlineData("max-age=60, proxy-revalidate")]
    [InlineData("s-maxage=60")]
    public async Task S5_2_2_2_must_revalidate_and_its_shared_cache_forms_forbid_serving_stale(string cacheControl)
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", cacheControl), ("Age", "90"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        var second = await o.GetAsync("/a", ("Cache-Control", "max-stale"));

        Assert.False(IsHit(second));
        Assert.Equal(2, o.Hits);
    }

    /// <summary>
    /// §5.2.2.2 (and §5.2.2.8, §5.2.2.10 for a shared cache): a disconnected cache answers with an
    /// error, 504 by preference, rather than the stale response, whatever the client's max-stale or
    /// either side's stale-if-error says (§4.2.4). An origin's own 502 is passed on as it is.
    /// </summary>
    [Theory]
    [InlineData("max-age=1, must-revalidate")]
    [InlineData("max-age=1, proxy-revalidate")]
    [InlineData("s-maxage=1")]
    [InlineData("max-age=1, must-revalidate, stale-if-error=600")]
    public async Task S5_2_2_2_a_stale_response_that_must_be_revalidated_gets_504_when_the_origin_cannot_be_reached(string cacheControl)
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("stored body", ("Cache-Control", cacheControl), ("Age", "5"), ("ETag", "\"v1\""));
        await o.GetAsync("/a");
        await o.GetAsync("/b");
        o.Handler = ctx =>
        {
            ctx.Response.StatusCode = 502;
            return ctx.Response.WriteAsync("the origin's own 502");
        };
        var fromOrigin = await o.GetAsync("/b");
        await o.Backend.KillAsync();

        var plain = await o.GetAsync("/a");
        var lenient = await o.GetAsync("/a", ("Cache-Control", "max-stale=600, stale-if-error=600"));
        var head = await o.SendAsync(HttpMethod.Head, "/a");

        Assert.Equal(HttpStatusCode.BadGateway, fromOrigin.StatusCode);
        Assert.Equal("the origin's own 502", await BodyAsync(fromOrigin));
        foreach (var answer in new[] { plain, lenient, head })
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, answer.StatusCode);
            Assert.Equal("Portico; fwd=stale; detail=must-revalidate", Status(answer));
            Assert.DoesNotContain("stored body", await BodyAsync(answer), StringComparison.Ordinal);
            Assert.Null(answer.Headers.ETag);
        }

        Assert.Equal(3, o.Hits);
    }

    [Fact]
    public async Task S5_2_2_immutable_fresh_response_is_served_even_to_a_reload()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=600, immutable"));
        await o.GetAsync("/a");
        var reload = await o.GetAsync("/a", ("Cache-Control", "max-age=0"));

        Assert.True(IsHit(reload));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S5_2_2_public_makes_a_response_storable_without_other_freshness()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "public"), ("Last-Modified", DateTimeOffset.UtcNow.AddDays(-10).ToString("r")));
        await o.GetAsync("/a");
        Assert.True(IsHit(await o.GetAsync("/a")));
    }

    [Theory]
    [InlineData(200, "max-age=60, must-understand, no-store", true)]
    [InlineData(404, "no-store, must-understand, max-age=60", true)]
    [InlineData(299, "max-age=60, must-understand", false)]
    [InlineData(299, "max-age=60, must-understand, no-store", false)]
    [InlineData(299, "max-age=60", true)]
    [InlineData(200, "max-age=60, no-store", false)]
    public async Task S5_2_2_3_must_understand_stores_a_known_status_despite_no_store_and_no_unknown_one(int status, string cacheControl, bool stored)
    {
        foreach (var fastPath in new[] { true, false })
        {
            await using var o = await CacheOrigin.StartAsync(fastPath: fastPath);
            o.Handler = ctx =>
            {
                ctx.Response.StatusCode = status;
                return CacheOrigin.Fresh("x", ("Cache-Control", cacheControl))(ctx);
            };
            await o.GetAsync("/a");
            var second = await o.GetAsync("/a");

            Assert.Equal(stored, IsHit(second));
            Assert.Equal(stored ? 1 : 2, o.Hits);
            Assert.Equal(status, (int)second.StatusCode);
        }
    }
}
