using Portico.Caching;

namespace Portico.Tests.Caching;

/// <summary>RFC 9111 §5.2: Cache-Control parsing.</summary>
public sealed class CacheDirectivesTests
{
    [Fact]
    public void Reads_every_directive_case_insensitively_with_quoted_and_bare_values()
    {
        var d = CacheDirectives.Parse("Public, MAX-AGE=60, s-maxage=\"120\", must-revalidate, proxy-revalidate, immutable, no-transform, stale-while-revalidate=30, stale-if-error=600");

        Assert.True(d.Public && d.MustRevalidate && d.ProxyRevalidate && d.Immutable && d.NoTransform);
        Assert.Equal(60, d.MaxAge);
        Assert.Equal(120, d.SharedMaxAge);
        Assert.Equal(30, d.StaleWhileRevalidate);
        Assert.Equal(600, d.StaleIfError);
        Assert.False(d.NoStore || d.NoCache || d.Private);
    }

    [Fact]
    public void No_cache_and_private_with_field_names_are_qualified_not_unqualified()
    {
        var d = CacheDirectives.Parse(new Microsoft.Extensions.Primitives.StringValues(["no-cache=\"Set-Cookie, X-Token\"", "private=\"X-User\""]));

        Assert.False(d.NoCache);
        Assert.False(d.Private);
        Assert.Equal(["Set-Cookie", "X-Token"], d.NoCacheFields);
        Assert.Equal(["X-User"], d.PrivateFields);
    }

    [Fact]
    public void Request_directives_and_max_stale_without_a_value()
    {
        var d = CacheDirectives.Parse("no-cache, no-store, max-stale, min-fresh=5, only-if-cached");

        Assert.True(d.NoCache && d.NoStore && d.OnlyIfCached);
        Assert.Equal(long.MaxValue, d.MaxStale);
        Assert.Equal(5, d.MinFresh);
        Assert.Equal(10, CacheDirectives.Parse("max-stale=10").MaxStale);
    }

    [Theory]
    [InlineData("max-age=-1")]
    [InlineData("max-age=abc")]
    [InlineData("max-age=")]
    [InlineData("max-age=1.5")]
    public void An_invalid_delta_seconds_is_ignored(string text) => Assert.Null(CacheDirectives.Parse(text).MaxAge);

    [Fact]
    public void A_huge_delta_seconds_is_capped_at_two_to_the_31()
        => Assert.Equal(1L << 31, CacheDirectives.Parse("max-age=99999999999999999999999").MaxAge);
}
