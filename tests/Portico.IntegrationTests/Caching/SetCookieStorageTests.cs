using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// A route's `cache.setCookie: strip`: a response with Set-Cookie is stored without it. The client
/// whose request reached the origin gets its cookies; a hit, or a request collapsed onto that one,
/// gets none. (The default keeps such responses out of the store: Rfc9111Section3StorageTests.)
/// </summary>
public sealed class SetCookieStorageTests
{
    private static readonly (string, string)[] Fields =
        [("Cache-Control", "max-age=60"), ("Set-Cookie", "session=1; HttpOnly"), ("Set-Cookie", "consent=0"), ("X-Kept", "yes")];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stored_without_set_cookie_and_the_client_of_the_miss_keeps_its_cookies(bool fastPath)
    {
        await using var o = await CacheOrigin.StartAsync(route: "cache: { setCookie: strip }", fastPath: fastPath);
        o.Handler = CacheOrigin.Fresh("page", Fields);
        var miss = await o.GetAsync("/a");
        var hit = await o.GetAsync("/a");

        Assert.Equal("Portico; fwd=uri-miss; stored", Status(miss));
        Assert.Equal(["session=1; HttpOnly", "consent=0"], miss.Headers.GetValues("Set-Cookie"));
        Assert.True(IsHit(hit));
        Assert.False(hit.Headers.Contains("Set-Cookie"));
        Assert.Equal("yes", Header(hit, "X-Kept"));
        Assert.Equal("page", await BodyAsync(hit));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task Requests_collapsed_onto_the_miss_get_no_cookie()
    {
        await using var o = await CacheOrigin.StartAsync(route: "cache: { setCookie: strip }", top: "cache: { collapseTimeout: 60s }");
        var release = new TaskCompletionSource();
        o.Handler = async ctx =>
        {
            await release.Task;
            await CacheOrigin.Fresh("page", Fields)(ctx);
        };
        using var active = new MetricCollector<long>(o.Proxy.Services.GetRequiredService<IMeterFactory>(), "Portico.Proxy", "portico.active.requests");
        var ct = TestContext.Current.CancellationToken;
        var requests = Enumerable.Range(0, 5).Select(_ => o.Client.GetAsync("/a", ct)).ToArray();
        await Poll.UntilAsync(
            () =>
            {
                active.RecordObservableInstruments();
                return o.Hits == 1 && active.LastMeasurement?.Value == 5;
            },
            "all 5 requests to be in the proxy and one at the origin",
            seconds: 60);
        release.SetResult();
        var responses = await Task.WhenAll(requests);

        Assert.Equal(1, o.Hits);
        var leader = Assert.Single(responses, r => Status(r) == "Portico; fwd=uri-miss; stored");
        Assert.Equal(2, leader.Headers.GetValues("Set-Cookie").Count());
        Assert.All(responses.Where(r => r != leader), r => Assert.False(r.Headers.Contains("Set-Cookie")));
    }

    [Fact]
    public async Task Without_the_option_a_response_with_set_cookie_is_still_not_stored()
    {
        await using var o = await CacheOrigin.StartAsync(route: "cache: { setCookie: uncached }");
        o.Handler = CacheOrigin.Fresh("page", Fields);
        await o.GetAsync("/a");
        var second = await o.GetAsync("/a");

        Assert.Equal(2, o.Hits);
        Assert.Equal("Portico; fwd=uri-miss", Status(second));
        Assert.Equal(2, second.Headers.GetValues("Set-Cookie").Count());
    }
}
