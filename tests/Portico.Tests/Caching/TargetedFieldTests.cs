using Microsoft.Extensions.Primitives;
using Portico.Caching;

namespace Portico.Tests.Caching;

/// <summary>RFC 9213: a targeted field's Dictionary (RFC 8941) read as this cache's directives, or set aside when invalid.</summary>
public sealed class TargetedFieldTests
{
    private static CacheDirectives Of(string? own, params (string Name, string Value)[] fields)
        => TargetedField.Directives(name => new StringValues(fields.Where(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(f => f.Value).ToArray()), own);

    [Fact]
    public void S2_2_the_first_valid_targeted_field_replaces_cache_control()
    {
        var d = Of(null, ("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=3600"));
        Assert.True(d.Targeted);
        Assert.False(d.NoStore);
        Assert.Equal(3600, d.MaxAge);

        var own = Of("Portico-Cache-Control", ("CDN-Cache-Control", "no-store"), ("Portico-Cache-Control", "max-age=60, must-revalidate"));
        Assert.Equal(60, own.MaxAge);
        Assert.True(own.MustRevalidate && !own.NoStore);
    }

    [Theory]
    [InlineData("max-age=10000, &&&&&")]
    [InlineData("max-age=\"10000\"")]
    [InlineData("max-age=1.5")]
    [InlineData("max-age=-1")]
    [InlineData("MaX-aGe=3600")]
    [InlineData("max-age =100")]
    [InlineData("max-age= 100")]
    [InlineData("max-age=1,")]
    [InlineData("max-age=1234567890123456")]
    [InlineData("no-store=1")]
    [InlineData("private=x")]
    [InlineData("")]
    public void S2_1_an_invalid_or_empty_field_is_set_aside_for_the_next_one(string value)
    {
        var d = Of(null, ("Cache-Control", "max-age=5"), ("CDN-Cache-Control", value));
        Assert.False(d.Targeted);
        Assert.Equal(5, d.MaxAge);
    }

    [Fact]
    public void S2_1_directives_as_structured_values()
    {
        var d = TargetedField.Parse("no-cache=\"set-cookie\", private=?0, s-maxage=99999999999;x=1, foobar=(a b), public, stale-if-error=30, max-age=1, max-age=2")!;
        Assert.Equal(["set-cookie"], d.NoCacheFields);
        Assert.False(d.NoCache || d.Private);
        Assert.Equal(1L << 31, d.SharedMaxAge);
        Assert.True(d.Public);
        Assert.Equal(30, d.StaleIfError);
        Assert.Equal(2, d.MaxAge);
        Assert.True(TargetedField.Parse("no-store")!.NoStore);
        Assert.True(TargetedField.Parse("private")!.Private);
    }
}
