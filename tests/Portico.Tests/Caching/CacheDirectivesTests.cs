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
    [InlineData("max-age=3600.0")]
    [InlineData("max-age=a3600")]
    [InlineData("max-age=3600a")]
    [InlineData("max-age='3600'")]
    [InlineData("max-age =3600")]
    [InlineData("max-age= 3600")]
    [InlineData("max-age=\"3600")]
    public void S4_2_1_an_invalid_max_age_is_no_lifetime_and_marks_the_response_stale(string text)
    {
        var d = CacheDirectives.Parse(text);
        Assert.Null(d.MaxAge);
        Assert.True(d.InvalidFreshness);
    }

    [Theory]
    [InlineData("max-age=1800, max-age=1", 1800)]
    [InlineData("max-age=1, max-age=1800", 1)]
    [InlineData("max-age=003600", 3600)]
    [InlineData("max-age=\"3600\"", 3600)]
    [InlineData("extension=\"max-age=3600\", max-age=1", 1)]
    [InlineData("max-age=1, extension=\"max-age=3600\"", 1)]
    [InlineData("ext=\"a\\\"b, max-age=99\", max-age=5", 5)]
    public void S4_2_1_the_first_max_age_counts_and_quoted_text_is_not_a_directive(string text, long expected)
    {
        var d = CacheDirectives.Parse(text);
        Assert.Equal(expected, d.MaxAge);
        Assert.False(d.InvalidFreshness);
    }

    [Fact]
    public void S4_2_1_two_lines_are_one_list_and_the_first_max_age_counts()
        => Assert.Equal(1, CacheDirectives.Parse(new Microsoft.Extensions.Primitives.StringValues(["max-age=1", "max-age=1800"])).MaxAge);

    [Theory]
    [InlineData("no-store =x")]
    [InlineData("private= \"x\"")]
    [InlineData("no-cache =\"a\"")]
    public void S4_2_1_a_malformed_restricting_directive_counts_as_its_most_restrictive_form(string text)
    {
        var d = CacheDirectives.Parse(text);
        Assert.True(d.NoStore || d.Private || d.NoCache);
    }

    [Fact]
    public void A_huge_delta_seconds_is_capped_at_two_to_the_31()
        => Assert.Equal(1L << 31, CacheDirectives.Parse("max-age=99999999999999999999999").MaxAge);

    [Fact]
    public void S5_2_2_3_must_understand_is_read()
    {
        Assert.True(CacheDirectives.Parse("no-store, Must-Understand").MustUnderstand);
        Assert.False(CacheDirectives.Parse("no-store").MustUnderstand);
    }
}
