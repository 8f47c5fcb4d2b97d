using Portico.Configuration.Model;
using Portico.Routing;

namespace Portico.Tests.Routing;

/// <summary>The pure parts of redirects and rewrites: dot segments, normalization, prefix replacement and turning names back.</summary>
public sealed class RewritePartsTests
{
    [Theory]
    [InlineData("/v2/..", true)]
    [InlineData("/v2/./x", true)]
    [InlineData("/v2/%2e%2E/x", true)]
    [InlineData("/v2/.%2E", true)]
    [InlineData("/v2/..%2Fsecret", true)]
    [InlineData("/v2/x%2f..%2fy", true)]
    [InlineData("/v2/...", false)]
    [InlineData("/v2/..x", false)]
    [InlineData("/v2/.hidden", false)]
    [InlineData("/v2/a?b=/..", false)]
    [InlineData("/", false)]
    public void Dot_segments_are_found_plain_encoded_and_behind_an_encoded_slash(string path, bool found)
        => Assert.Equal(found, DotSegments.In(path));

    [Theory]
    [InlineData("/Docs/Guide", "keep", true, "/docs/guide")]
    [InlineData("/docs/A%2Fb", "keep", true, "/docs/a%2Fb")]
    [InlineData("/docs/guide", "keep", true, null)]
    [InlineData("/docs/guide", "add", false, "/docs/guide/")]
    [InlineData("/docs/app.js", "add", false, null)]
    [InlineData("/docs/", "add", false, null)]
    [InlineData("/docs/", "remove", false, "/docs")]
    [InlineData("/docs///", "remove", false, "/docs")]
    [InlineData("/", "remove", false, null)]
    public void Normalization_gives_one_spelling(string path, string slash, bool lower, string? expected)
        => Assert.Equal(expected, PathNormalizer.Normalize(path, new NormalizeSettings { TrailingSlash = Enum.Parse<TrailingSlash>(slash, ignoreCase: true), Lowercase = lower }));

    [Theory]
    [InlineData("/api/x", "/api", "/v2", "/v2/x")]
    [InlineData("/api", "/api", "/v2", "/v2")]
    [InlineData("/api/", "/api/", "/", "/")]
    [InlineData("/api/x/y", "/api", "/", "/x/y")]
    [InlineData("/x", "/", "/v2", "/v2/x")]
    [InlineData("/API/x", "/api", "/v2/", "/v2/x")]
    public void A_prefix_is_replaced(string path, string prefix, string replacement, string expected)
        => Assert.Equal(expected, TargetRewriter.ReplacePrefix(path, prefix, replacement));

    [Theory]
    [InlineData("http://internal:8080/v2/done?x=1", "https://www.example.com/api/done?x=1")]
    [InlineData("http://10.0.0.5:9000/v2", "https://www.example.com/api")]
    [InlineData("/v2/done", "/api/done")]
    [InlineData("/v2?x", "/api?x")]
    [InlineData("/v2x/done", "/v2x/done")]
    [InlineData("/other", "/other")]
    [InlineData("https://elsewhere.example/v2/done", "https://elsewhere.example/v2/done")]
    [InlineData("//internal:8080/v2", "//internal:8080/v2")]
    [InlineData("done", "done")]
    public void A_location_is_turned_back(string location, string expected)
        => Assert.Equal(expected, Mapping().Location(location));

    [Theory]
    [InlineData("sid=1; Path=/v2/app; Domain=internal; HttpOnly", "sid=1; Path=/api/app; Domain=www.example.com; HttpOnly")]
    [InlineData("sid=1; path=/v2", "sid=1; path=/api")]
    [InlineData("sid=1; Domain=.internal", "sid=1; Domain=www.example.com")]
    [InlineData("sid=1; Path=/other; Domain=example.org", "sid=1; Path=/other; Domain=example.org")]
    [InlineData("a=b=c", "a=b=c")]
    public void A_cookie_is_turned_back(string setCookie, string expected)
        => Assert.Equal(expected, Mapping().Cookie(setCookie));

    private static BackMapping Mapping() => new("internal:8080", "10.0.0.5:9000", "https://www.example.com", "www.example.com", ("/v2", "/api"));
}
