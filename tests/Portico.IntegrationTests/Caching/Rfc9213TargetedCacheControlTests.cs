using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// RFC 9213: CDN-Cache-Control, and the field `cache.targetedField` names, take precedence over
/// Cache-Control and Expires for Portico's cache; an invalid one is set aside; both are forwarded.
/// Each with the fast path (fresh hits answered there) and without.
/// </summary>
public sealed class Rfc9213TargetedCacheControlTests
{
    private static string Ago(int seconds) => DateTimeOffset.UtcNow.AddSeconds(-seconds).ToString("r");

    private static string Ahead(int seconds) => DateTimeOffset.UtcNow.AddSeconds(seconds).ToString("r");

    /// <summary>Two GETs of /a; whether the second was a hit. Every response carries the origin's CDN-Cache-Control, if any.</summary>
    private static async Task<bool> SecondIsHitAsync(bool fastPath, string top, params (string Name, string Value)[] fields)
    {
        await using var o = await CacheOrigin.StartAsync(top: top, fastPath: fastPath);
        o.Handler = CacheOrigin.Fresh("x", fields);
        var first = await o.GetAsync("/a");
        var second = await o.GetAsync("/a");
        Assert.Equal(IsHit(second) ? 1 : 2, o.Hits);
        foreach (var (name, value) in fields.Where(f => f.Name.EndsWith("-Cache-Control", StringComparison.Ordinal)))
        {
            Assert.Equal(value, Header(first, name));
            Assert.Equal(value, Header(second, name));
        }

        return IsHit(second);
    }

    public static TheoryData<bool, string, string, bool> Cases() => new()
    {
        // §2.2: the targeted field's lifetime wins, longer or shorter, and Expires does not count.
        { true, "max-age=3600", "no-store", true },
        { true, "max-age=3600", "max-age=1", true },
        { true, "max-age=1", "max-age=3600", false },
        { true, "max-age=0", "max-age=3600", false },
        { true, "private", "max-age=10000", false },
        { true, "no-cache", "max-age=10000", false },
        { true, "no-store", "max-age=10000", false },
        { true, "foobar, max-age=3600", "no-store", true },
        { true, "max-age=99999999999", "no-store", true },
        // §2.1: an invalid targeted field is set aside; Cache-Control counts.
        { true, "max-age=10000, &&&&&", "no-store", false },
        { true, "max-age=\"10000\"", "no-store", false },
        { true, "max-age =100", "max-age=1", false },
        { true, "max-age=10000, &&&&&", "max-age=3600", true },
        { false, "max-age=3600", "no-store", true },
        { false, "max-age=1", "max-age=3600", false },
        { false, "max-age=10000, &&&&&", "no-store", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task S2_2_cdn_cache_control_takes_precedence_over_cache_control(bool fastPath, string cdn, string cacheControl, bool hit)
        => Assert.Equal(hit, await SecondIsHitAsync(fastPath, "", ("CDN-Cache-Control", cdn), ("Cache-Control", cacheControl), ("Date", Ago(10))));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task S2_2_expires_does_not_count_beside_a_targeted_field(bool fastPath)
    {
        Assert.True(await SecondIsHitAsync(fastPath, "", ("CDN-Cache-Control", "max-age=3600"), ("Expires", "0")));
        Assert.False(await SecondIsHitAsync(fastPath, "", ("CDN-Cache-Control", "max-age=0"), ("Expires", Ahead(10000))));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task S2_2_portico_s_own_targeted_field_comes_before_cdn_cache_control(bool fastPath)
    {
        const string top = "cache: { targetedField: Portico-Cache-Control }";
        Assert.True(await SecondIsHitAsync(fastPath, top, ("Portico-Cache-Control", "max-age=3600"), ("CDN-Cache-Control", "no-store"), ("Cache-Control", "no-store")));
        Assert.False(await SecondIsHitAsync(fastPath, top, ("Portico-Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=3600")));
        Assert.True(await SecondIsHitAsync(fastPath, top, ("Portico-Cache-Control", "max-age=x"), ("CDN-Cache-Control", "max-age=3600")));
    }
}
