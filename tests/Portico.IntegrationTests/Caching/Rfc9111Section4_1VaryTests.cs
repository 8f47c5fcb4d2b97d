using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>RFC 9111 §4.1: selecting a stored variant by the request fields its Vary names.</summary>
public sealed class Rfc9111Section4_1VaryTests
{
    private static async Task<CacheOrigin> StartEchoingAsync(string vary)
    {
        var o = await CacheOrigin.StartAsync();
        o.Handler = ctx => CacheOrigin.Fresh($"lang={ctx.Request.Headers.AcceptLanguage} fmt={ctx.Request.Headers["X-Format"]}", ("Cache-Control", "max-age=60"), ("Vary", vary))(ctx);
        return o;
    }

    [Fact]
    public async Task S4_1_each_value_of_a_varying_field_gets_its_own_variant()
    {
        await using var o = await StartEchoingAsync("Accept-Language");
        await o.GetAsync("/a", ("Accept-Language", "en"));
        await o.GetAsync("/a", ("Accept-Language", "fr"));
        var en = await o.GetAsync("/a", ("Accept-Language", "en"));
        var fr = await o.GetAsync("/a", ("Accept-Language", "fr"));

        Assert.Equal(2, o.Hits);
        Assert.Equal("lang=en fmt=", await BodyAsync(en));
        Assert.Equal("lang=fr fmt=", await BodyAsync(fr));
        Assert.True(IsHit(en) && IsHit(fr));
    }

    [Fact]
    public async Task S4_1_values_are_normalized_before_comparison()
    {
        await using var o = await StartEchoingAsync("Accept-Language");
        await o.GetAsync("/a", ("Accept-Language", "en, fr"));
        var hit = await o.GetAsync("/a", ("Accept-Language", "en,   fr"));

        Assert.Equal(1, o.Hits);
        Assert.True(IsHit(hit));
    }

    [Fact]
    public async Task S4_1_several_varying_fields_must_all_match()
    {
        await using var o = await StartEchoingAsync("Accept-Language, X-Format");
        await o.GetAsync("/a", ("Accept-Language", "en"), ("X-Format", "json"));
        var other = await o.GetAsync("/a", ("Accept-Language", "en"), ("X-Format", "xml"));
        var same = await o.GetAsync("/a", ("Accept-Language", "en"), ("X-Format", "json"));

        Assert.Equal(2, o.Hits);
        Assert.Equal("Portico; fwd=vary-miss; stored", Status(other));
        Assert.True(IsHit(same));
    }

    [Fact]
    public async Task S4_1_an_absent_field_matches_only_an_absent_field()
    {
        await using var o = await StartEchoingAsync("X-Format");
        await o.GetAsync("/a");
        var with = await o.GetAsync("/a", ("X-Format", "json"));
        var without = await o.GetAsync("/a");

        Assert.False(IsHit(with));
        Assert.True(IsHit(without));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S4_1_vary_star_never_matches()
    {
        await using var o = await StartEchoingAsync("*");
        await o.GetAsync("/a");
        var second = await o.GetAsync("/a");

        Assert.False(IsHit(second));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S4_1_accept_encoding_lists_that_accept_the_same_codings_share_a_variant()
    {
        await using var o = await CacheOrigin.StartAsync();
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding"));
        await o.GetAsync("/a", ("Accept-Encoding", "gzip, br"));
        var reordered = await o.GetAsync("/a", ("Accept-Encoding", "br;q=0.9, GZIP"));
        var different = await o.GetAsync("/a", ("Accept-Encoding", "gzip"));

        Assert.True(IsHit(reordered));
        Assert.False(IsHit(different));
        Assert.Equal(2, o.Hits);
    }

    public static TheoryData<bool, string, string, bool> LanguageCases()
    {
        var cases = new TheoryData<bool, string, string, bool>();
        foreach (var fastPath in new[] { true, false })
        {
            // Case (RFC 4647 §2), whitespace, the spelling of a weight, and the order of unequal weights do not count.
            cases.Add(fastPath, "en-US, fr;q=0.5", "EN-us,fr; q=0.50", true);
            cases.Add(fastPath, "fr;q=0.5, en-US", "en-US, fr;q=0.5", true);
            cases.Add(fastPath, "en;q=1.0, de;Q=0.300", "en, de;q=0.3", true);
            // The order of equal weights, and the weights themselves, do.
            cases.Add(fastPath, "en, fr", "fr, en", false);
            cases.Add(fastPath, "en, fr;q=0.5", "en, fr;q=0.6", false);
            cases.Add(fastPath, "en;q=0", "en", false);
            // Not the field's grammar: compared as other fields are.
            cases.Add(fastPath, "en_US", "en_us", false);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(LanguageCases))]
    public async Task S4_1_accept_language_values_that_state_the_same_preferences_share_a_variant(bool fastPath, string first, string second, bool shared)
    {
        await using var o = await CacheOrigin.StartAsync(fastPath: fastPath);
        o.Handler = CacheOrigin.Fresh("x", ("Cache-Control", "max-age=60"), ("Vary", "Accept-Language"));
        await o.GetAsync("/a", ("Accept-Language", first));
        var again = await o.GetAsync("/a", ("Accept-Language", first));
        var other = await o.GetAsync("/a", ("Accept-Language", second));

        Assert.True(IsHit(again));
        Assert.Equal(shared, IsHit(other));
        Assert.Equal(shared ? 1 : 2, o.Hits);
    }
}
