using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;
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
        Assert.Equal(3, await admin.CacheEntriesAsync(ct));

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

/// <summary>
/// A response on its way when its URL is purged (by the admin API, or invalidated by an unsafe
/// request through the proxy): its request reached the origin before the purge, and its answer
/// finishes after it. Stored then, it would undo the purge and serve what the purge removed.
/// </summary>
public sealed class PurgeOfAResponseOnItsWayTests
{
    private const string Token = "purge-token-0123456789";

    [Theory]
    [InlineData(true, "purge")]
    [InlineData(false, "purge")]
    [InlineData(true, "POST")]
    [InlineData(false, "POST")]
    public async Task It_is_not_stored_and_the_next_request_goes_to_the_origin(bool fastPath, string how)
    {
        await using var o = await CacheOrigin.StartAsync(top: $"admin: {{ address: \"127.0.0.1:0\", token: {Token} }}", fastPath: fastPath);
        var ct = TestContext.Current.CancellationToken;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var version = "v1";
        o.Handler = async ctx =>
        {
            if (ctx.Request.Method != "GET")
            {
                ctx.Response.StatusCode = 204;
                return;
            }

            var body = version + new string('.', 4000);
            ctx.Response.Headers.CacheControl = "max-age=60";
            ctx.Response.ContentLength = body.Length;
            await ctx.Response.WriteAsync(body[..100], ct);
            await ctx.Response.Body.FlushAsync(ct);
            started.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
            await ctx.Response.WriteAsync(body[100..], ct);
        };

        using var admin = new HttpClient { BaseAddress = o.Proxy.AdminAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var client = new HttpClient { BaseAddress = o.Proxy.Address };
        var first = client.GetAsync("/slow", HttpCompletionOption.ResponseHeadersRead, ct);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
        if (how == "purge")
        {
            var url = Uri.EscapeDataString(o.Proxy.Address.GetLeftPart(UriPartial.Authority) + "/slow");
            Assert.Equal("{\"purged\":0}", await (await admin.PostAsync($"/api/cache/purge?url={url}", null, ct)).Content.ReadAsStringAsync(ct));
        }
        else
        {
            Assert.Equal(HttpStatusCode.NoContent, (await o.Client.PostAsync("/slow", null, ct)).StatusCode);
        }

        version = "v2";
        release.SetResult();
        using (var answer = await first)
        {
            Assert.StartsWith("v1.", await answer.Content.ReadAsStringAsync(ct));
        }

        // Before the fix the first answer was stored within moments; given the time it would take.
        var stored = 0;
        for (var until = DateTime.UtcNow.AddSeconds(2); stored == 0 && DateTime.UtcNow < until; await Task.Delay(50, ct))
        {
            stored = await admin.CacheEntriesAsync(ct);
        }

        Assert.Equal(0, stored);
        var next = await o.GetAsync("/slow");
        Assert.False(IsHit(next), Status(next));
        Assert.StartsWith("v2.", await BodyAsync(next));
        Assert.True(IsHit(await o.GetAsync("/slow")));
    }
}
