using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>The admin endpoint that purges one URL or a prefix, behind the admin token.</summary>
public sealed class CachePurgeTests
{
    private const string Token = "purge-token-0123456789";

    [Fact]
    public async Task Purge_one_url_or_a_prefix_and_only_with_the_token()
    {
        await using var o = await CacheOrigin.StartAsync(top: $"admin: {{ address: \"127.0.0.1:0\", token: {Token} }}");
        var ct = TestContext.Current.CancellationToken;
        foreach (var path in new[] { "/docs/a", "/docs/b?x=1", "/img/c" })
        {
            await o.GetAsync(path);
        }

        using var admin = new HttpClient { BaseAddress = o.Proxy.AdminAddress };
        var origin = o.Proxy.Address.GetLeftPart(UriPartial.Authority).ToUpperInvariant().Replace("HTTP://", "http://", StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.PostAsync($"/api/cache/purge?url={origin}/img/c", null, ct)).StatusCode);
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(3, JsonDocument.Parse(await admin.GetStringAsync("/api/cache", ct)).RootElement.GetProperty("entries").GetInt32());

        var one = await admin.PostAsync($"/api/cache/purge?url={Uri.EscapeDataString(origin + "/img/c")}", null, ct);
        Assert.Equal("{\"purged\":1}", await one.Content.ReadAsStringAsync(ct));
        Assert.False(IsHit(await o.GetAsync("/img/c")));

        var prefix = await admin.PostAsync($"/api/cache/purge?prefix={Uri.EscapeDataString(origin + "/docs/")}", null, ct);
        Assert.Equal("{\"purged\":2}", await prefix.Content.ReadAsStringAsync(ct));
        Assert.False(IsHit(await o.GetAsync("/docs/a")));
        Assert.False(IsHit(await o.GetAsync("/docs/b?x=1")));
        Assert.True(IsHit(await o.GetAsync("/img/c")));

        var bad = await admin.PostAsync("/api/cache/purge?url=not-a-url", null, ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("{\"error\":\"'not-a-url' is not an absolute http:// or https:// URL\"}", await bad.Content.ReadAsStringAsync(ct));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/cache/purge", null, ct)).StatusCode);
        Assert.Contains(o.Proxy.Logs.Messages(5002), m => m.StartsWith("cache: purged 2 stored response(s) for prefix http://127.0.0.1:", StringComparison.Ordinal));
    }
}
