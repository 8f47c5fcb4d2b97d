using System.Net;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// Entity-tags in validation (RFC 9110 §8.8.3, §13.1.2): If-None-Match compares weakly, a list
/// splits only outside quotes, a stored weak ETag is revalidated with the origin as sent, and an
/// unquoted ETag (not an entity-tag) is read as the opaque-tag it would be if quoted, as the HTTP
/// WG cache tests check (conditional-etag-*-unquoted). Client conditionals with the fast path and without.
/// </summary>
public sealed class Rfc9110EntityTagTests
{
    public static TheoryData<bool, string, string, bool> Conditionals() => new()
    {
        // §13.1.2: weak comparison, either side may be weak.
        { true, "W/\"v1\"", "W/\"v1\"", true },
        { true, "W/\"v1\"", "\"v1\"", true },
        { true, "\"v1\"", "W/\"v1\"", true },
        { true, "W/\"v1\"", "W/\"v2\"", false },
        // A comma is an etagc: "a,b" is one tag, not two.
        { true, "\"a,b\"", "\"a,b\"", true },
        { true, "\"a,b\"", "\"x\", \"a,b\"", true },
        { true, "\"a,b\"", "\"a\"", false },
        // Unquoted: abc is read as "abc".
        { true, "abc", "abc", true },
        { true, "abc", "\"abc\"", true },
        { true, "\"abc\"", "abc", true },
        { true, "abc", "\"abcd\"", false },
        { false, "W/\"v1\"", "\"v1\"", true },
        { false, "\"a,b\"", "\"a,b\"", true },
        { false, "abc", "\"abc\"", true },
        { false, "\"a,b\"", "\"a\"", false },
    };

    [Theory]
    [MemberData(nameof(Conditionals))]
    public async Task If_none_match_on_a_fresh_entry(bool fastPath, string etag, string ifNoneMatch, bool notModified)
    {
        await using var o = await CacheOrigin.StartAsync(fastPath: fastPath);
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("ETag", etag));
        await o.GetAsync("/a");
        var response = await o.GetAsync("/a", ("If-None-Match", ifNoneMatch));

        Assert.Equal(notModified ? HttpStatusCode.NotModified : HttpStatusCode.OK, response.StatusCode);
        Assert.True(IsHit(response));
        Assert.Equal(1, o.Hits);
    }

    [Theory]
    [InlineData("W/\"v1\"", "W/\"v1\"")]
    [InlineData("\"a,b\"", "\"a,b\"")]
    [InlineData("abc", "\"abc\"")]
    public async Task A_stale_entry_is_revalidated_with_its_etag_as_an_entity_tag(string etag, string sent)
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = ctx =>
        {
            if (ctx.Request.Headers.IfNoneMatch == sent)
            {
                ctx.Response.StatusCode = 304;
                ctx.Response.Headers.CacheControl = "max-age=60";
                return Task.CompletedTask;
            }

            return CacheOrigin.Fresh("body", ("Cache-Control", "max-age=60"), ("Age", "100"), ("ETag", etag))(ctx);
        };
        await o.GetAsync("/a");
        var revalidated = await o.GetAsync("/a");

        Assert.Equal(sent, o.Last.Headers["If-None-Match"]);
        Assert.StartsWith("Portico; fwd=stale; fwd-status=304", Status(revalidated), StringComparison.Ordinal);
        Assert.Equal("body", await BodyAsync(revalidated));
        Assert.Equal(etag, Header(revalidated, "ETag"));
    }
}
