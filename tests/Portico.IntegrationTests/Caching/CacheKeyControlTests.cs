using System.Net.Http.Headers;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// A route's `cache.key`: query parameters left out, kept or sorted, and request fields, cookies
/// and the device class that split the key; purging a URL still removes every key of it.
/// </summary>
public sealed class CacheKeyControlTests
{
    private const string Token = "key-token-0123456789";
    private const string IPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    private const string WindowsChrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

    [Fact]
    public async Task Urls_differing_only_in_an_ignored_parameter_share_an_entry()
    {
        await using var o = await CacheOrigin.StartAsync("cache: { key: { query: { ignore: [utm_source, fbclid] } } }");
        Assert.False(IsHit(await o.GetAsync("/p?a=1&utm_source=news")));
        Assert.True(IsHit(await o.GetAsync("/p?utm_source=mail&a=1&fbclid=x1")));
        Assert.True(IsHit(await o.GetAsync("/p?a=1")));
        Assert.False(IsHit(await o.GetAsync("/p?a=2&utm_source=news")));
        Assert.Equal(2, o.Hits);
        // The origin still gets the query as the client sent it.
        Assert.Equal("/p?a=2&utm_source=news", o.Last.PathAndQuery);
    }

    [Fact]
    public async Task Only_included_parameters_count()
    {
        await using var o = await CacheOrigin.StartAsync("cache: { key: { query: { include: [page] } } }");
        Assert.False(IsHit(await o.GetAsync("/list?page=2&session=abc")));
        Assert.True(IsHit(await o.GetAsync("/list?session=def&page=2")));
        Assert.False(IsHit(await o.GetAsync("/list?page=3")));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task Sorted_parameters_share_an_entry_and_unsorted_ones_do_not()
    {
        await using var sorted = await CacheOrigin.StartAsync("cache: { key: { query: { sort: true } } }");
        Assert.False(IsHit(await sorted.GetAsync("/s?b=1&a=2&a=1")));
        Assert.True(IsHit(await sorted.GetAsync("/s?a=2&a=1&b=1")));
        // A name given twice keeps its values' order: a=1&a=2 is another list.
        Assert.False(IsHit(await sorted.GetAsync("/s?a=1&a=2&b=1")));

        await using var asSent = await CacheOrigin.StartAsync();
        Assert.False(IsHit(await asSent.GetAsync("/s?b=1&a=2")));
        Assert.False(IsHit(await asSent.GetAsync("/s?a=2&b=1")));
    }

    [Fact]
    public async Task A_header_or_a_cookie_in_the_key_splits_entries()
    {
        await using var o = await CacheOrigin.StartAsync("cache: { key: { headers: [X-Country], cookies: [lang] } }");
        Assert.False(IsHit(await o.GetAsync("/h", ("X-Country", "de"))));
        Assert.False(IsHit(await o.GetAsync("/h", ("X-Country", "fr"))));
        Assert.True(IsHit(await o.GetAsync("/h", ("X-Country", "de"))));
        Assert.False(IsHit(await o.GetAsync("/h", ("X-Country", "de"), ("Cookie", "lang=en; other=1"))));
        Assert.True(IsHit(await o.GetAsync("/h", ("X-Country", "de"), ("Cookie", "other=2; lang=en"))));
        Assert.False(IsHit(await o.GetAsync("/h", ("X-Country", "de"), ("Cookie", "lang=de"))));
        Assert.Equal(4, o.Hits);
    }

    [Fact]
    public async Task The_device_class_splits_entries()
    {
        await using var o = await CacheOrigin.StartAsync("cache: { key: { device: true } }");
        Assert.False(IsHit(await o.GetAsync("/d", ("User-Agent", IPhone))));
        Assert.False(IsHit(await o.GetAsync("/d", ("User-Agent", WindowsChrome))));
        Assert.True(IsHit(await o.GetAsync("/d", ("User-Agent", IPhone))));
        Assert.True(IsHit(await o.GetAsync("/d", ("User-Agent", WindowsChrome))));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task Purging_a_url_removes_every_key_of_it()
    {
        await using var o = await CacheOrigin.StartAsync(
            "cache: { key: { query: { ignore: [utm_source], sort: true }, headers: [X-Country] } }",
            top: $"admin: {{ address: \"127.0.0.1:0\", token: {Token} }}");
        var ct = TestContext.Current.CancellationToken;
        await o.GetAsync("/p?b=2&a=1", ("X-Country", "de"));
        await o.GetAsync("/p?a=1&b=2&utm_source=x", ("X-Country", "fr"));
        await o.GetAsync("/other", ("X-Country", "de"));
        Assert.True(IsHit(await o.GetAsync("/p?b=2&a=1", ("X-Country", "fr"))));

        using var admin = new HttpClient { BaseAddress = o.Proxy.AdminAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var url = o.Proxy.Address.GetLeftPart(UriPartial.Authority) + "/p?utm_source=y&b=2&a=1";
        var purge = await admin.PostAsync($"/api/cache/purge?url={Uri.EscapeDataString(url)}", null, ct);
        Assert.Equal("{\"purged\":2}", await purge.Content.ReadAsStringAsync(ct));
        Assert.False(IsHit(await o.GetAsync("/p?a=1&b=2", ("X-Country", "de"))));
        Assert.True(IsHit(await o.GetAsync("/other", ("X-Country", "de"))));
        Assert.Equal(2, await admin.CacheEntriesAsync(ct));
    }

    [Fact]
    public async Task An_unsafe_method_invalidates_every_key_of_its_url()
    {
        await using var o = await CacheOrigin.StartAsync("cache: { key: { query: { ignore: [utm_source] }, headers: [X-Country] } }");
        await o.GetAsync("/u?id=1", ("X-Country", "de"));
        await o.GetAsync("/u?id=1&utm_source=x", ("X-Country", "fr"));
        Assert.True(IsHit(await o.GetAsync("/u?id=1", ("X-Country", "fr"))));
        await o.SendAsync(HttpMethod.Post, "/u?id=1&utm_source=z");
        Assert.False(IsHit(await o.GetAsync("/u?id=1", ("X-Country", "de"))));
        Assert.False(IsHit(await o.GetAsync("/u?id=1", ("X-Country", "fr"))));
    }
}
