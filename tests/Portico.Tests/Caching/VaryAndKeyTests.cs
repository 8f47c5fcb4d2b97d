using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portico.Caching;

namespace Portico.Tests.Caching;

/// <summary>RFC 9111 §4.1 variant matching and the primary key.</summary>
public sealed class VaryAndKeyTests
{
    private static CacheEntry Stored(params (string Field, string Value)[] vary) => new()
    {
        Key = "k",
        Vary = vary.Select(v => new KeyValuePair<string, string>(v.Field, v.Value)).ToArray(),
        Status = 200,
        Headers = [],
        RequestTime = DateTimeOffset.UnixEpoch,
        ResponseTime = DateTimeOffset.UnixEpoch,
        Date = DateTimeOffset.UnixEpoch,
        Directives = CacheDirectives.None,
    };

    [Fact]
    public void Field_names_are_lower_cased_and_star_stands_alone()
    {
        Assert.Equal(["accept-language", "x-a"], VaryKeys.Fields(new StringValues(["Accept-Language, X-A", "x-a"])));
        Assert.Equal(["*"], VaryKeys.Fields("Accept, *"));
    }

    [Fact]
    public void Values_are_normalized_and_all_fields_must_match()
    {
        var headers = new HeaderDictionary { ["Accept-Language"] = new StringValues(["en,  fr", "de"]), ["X-A"] = "1" };
        var entry = Stored(("accept-language", VaryKeys.Value(new HeaderDictionary { ["Accept-Language"] = "en, fr,de" }, "accept-language", "")), ("x-a", "1"));

        Assert.True(VaryKeys.Matches(entry, headers, ""));
        headers["X-A"] = "2";
        Assert.False(VaryKeys.Matches(entry, headers, ""));
        Assert.False(VaryKeys.Matches(Stored(("*", "")), headers, ""));
    }

    [Fact]
    public void Accept_encoding_is_compared_by_its_precomputed_key()
    {
        var entry = Stored(("accept-encoding", "br"));
        Assert.True(VaryKeys.Matches(entry, new HeaderDictionary { ["Accept-Encoding"] = "anything" }, "br"));
        Assert.False(VaryKeys.Matches(entry, new HeaderDictionary(), "gzip"));
        Assert.Equal("br,gzip", VaryKeys.AcceptedCodings(new StringValues(["GZIP;q=0.5, br", "zstd;q=0"])));
    }

    [Theory]
    [InlineData("gzip, deflate, br", "br,deflate,gzip")]
    [InlineData("br,deflate,gzip", "br,deflate,gzip")]
    [InlineData("gzip;q=0.000, br", "br")]
    [InlineData("gzip ; q = 0 , br;Q=0.", "")]
    [InlineData("gzip;q=0.001, br;q=0.0000", "br,gzip")]
    [InlineData("gzip, GZip , gzip;q=0.5", "gzip")]
    [InlineData("identity;q=0, *", "*")]
    [InlineData("a_b, AB", "a_b,ab")]
    [InlineData(" , ,gzip,", "gzip")]
    [InlineData("", "")]
    public void Accepted_codings_are_lower_cased_deduplicated_sorted_and_drop_a_zero_weight(string header, string expected)
        => Assert.Equal(expected, VaryKeys.AcceptedCodings(header));

    [Fact]
    public void Accepted_codings_beyond_a_few_dozen_are_all_kept()
    {
        var codings = Enumerable.Range(0, 50).Select(i => $"c{i:D2}").ToArray();
        Assert.Equal(string.Join(',', codings), VaryKeys.AcceptedCodings(string.Join(", ", codings.Reverse())));
    }

    [Fact]
    public void Keys_lower_case_scheme_and_host_only()
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("Example.COM:8080");
        context.Request.Path = "/A/b";
        context.Request.QueryString = new QueryString("?X=1");

        Assert.Equal("http://example.com:8080/A/b?X=1", CacheKey.Of(context.Request));
        Assert.Equal("http://example.com:8080/A/list", CacheKey.OfReference(context.Request, "list"));
        Assert.Equal("http://example.com:8080/z", CacheKey.OfReference(context.Request, "HTTP://EXAMPLE.com:8080/z"));
        Assert.Null(CacheKey.OfReference(context.Request, "http://other.example/z"));
        Assert.Equal("https://example.com/A?b", CacheKey.Normalize("https://EXAMPLE.com/A?b"));
        Assert.Null(CacheKey.Normalize("/relative"));
    }
}
