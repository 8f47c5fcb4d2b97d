using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// How the fields freshness is read from are parsed, with an origin that sends them malformed:
/// Age (RFC 9111 §5.1, §4.2.3), Expires (§5.3, RFC 9110 §5.6.7) and Cache-Control (§4.2.1, §5.2).
/// Each runs with the fast path, which answers fresh hits, and without it.
/// </summary>
public sealed class Rfc9111FieldParsingTests
{
    private static string Ago(int seconds) => DateTimeOffset.UtcNow.AddSeconds(-seconds).ToString("r");

    /// <summary>Two GETs of /a with the origin answering with <paramref name="fields"/>; whether the second was a hit.</summary>
    private static async Task<bool> SecondIsHitAsync(bool fastPath, params (string Name, string Value)[] fields)
    {
        await using var o = await CacheOrigin.StartAsync(fastPath: fastPath);
        o.Handler = CacheOrigin.Fresh("x", fields);
        await o.GetAsync("/a");
        var second = await o.GetAsync("/a");
        Assert.Equal(IsHit(second) ? 1 : 2, o.Hits);
        return IsHit(second);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task S5_1_an_age_list_is_read_by_its_first_member_on_one_line_or_two(bool fastPath)
    {
        Assert.False(await SecondIsHitAsync(fastPath, ("Cache-Control", "max-age=3600"), ("Age", "7200, 0")));
        Assert.False(await SecondIsHitAsync(fastPath, ("Cache-Control", "max-age=3600"), ("Age", "7200"), ("Age", "0")));
        Assert.True(await SecondIsHitAsync(fastPath, ("Cache-Control", "max-age=3600"), ("Age", "0, 7200")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task S5_1_an_age_that_is_not_delta_seconds_is_not_available(bool fastPath)
    {
        Assert.True(await SecondIsHitAsync(fastPath, ("Cache-Control", "max-age=3600"), ("Age", "7200;foo=1")));
        Assert.True(await SecondIsHitAsync(fastPath, ("Cache-Control", "max-age=3600"), ("Age", "-7200")));
    }

    [Theory]
    [InlineData("THU, 18 Aug 2050 02:01:18 GMT", false)]
    [InlineData("Thu, 18 AUG 2050 02:01:18 GMT", false)]
    [InlineData("Thu, 18 Aug 2050 02:01:18 UTC", false)]
    [InlineData("Thu, 18  Aug 2050 02:01:18 GMT", false)]
    [InlineData("Thursday, 18-Aug-50 02:01:18 GMT", true)]
    [InlineData("Thu Aug 18 02:01:18 2050", true)]
    [InlineData("Thu, 18 Aug 2050 02:01:18 GMT", true)]
    public async Task S5_3_an_expires_in_an_http_date_form_gives_the_lifetime_anything_else_is_already_expired(string expires, bool fresh)
    {
        Assert.Equal(fresh, await SecondIsHitAsync(fastPath: true, ("Expires", expires)));
        Assert.Equal(fresh, await SecondIsHitAsync(fastPath: false, ("Expires", expires)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task S4_2_1_of_two_max_ages_the_first_counts_on_one_line_or_two(bool fastPath)
    {
        var date = ("Date", Ago(10));
        Assert.False(await SecondIsHitAsync(fastPath, ("Cache-Control", "max-age=1, max-age=1800"), date));
        Assert.False(await SecondIsHitAsync(fastPath, ("Cache-Control", "max-age=1"), ("Cache-Control", "max-age=1800"), date));
        Assert.True(await SecondIsHitAsync(fastPath, ("Cache-Control", "max-age=1800, max-age=1"), date));
    }

    [Theory]
    [InlineData("max-age=3600a")]
    [InlineData("max-age=3600.5")]
    [InlineData("max-age =3600")]
    [InlineData("max-age= 3600")]
    public async Task S4_2_1_an_invalid_max_age_makes_the_response_stale_despite_expires(string cacheControl)
    {
        var expires = ("Expires", DateTimeOffset.UtcNow.AddHours(1).ToString("r"));
        Assert.False(await SecondIsHitAsync(fastPath: true, ("Cache-Control", cacheControl), expires));
        Assert.False(await SecondIsHitAsync(fastPath: false, ("Cache-Control", cacheControl), expires));
    }

    [Fact]
    public async Task S5_2_a_max_age_inside_a_quoted_extension_is_not_a_directive()
        => Assert.False(await SecondIsHitAsync(fastPath: true, ("Cache-Control", "extension=\"max-age=3600\", max-age=1"), ("Date", Ago(10))));
}
