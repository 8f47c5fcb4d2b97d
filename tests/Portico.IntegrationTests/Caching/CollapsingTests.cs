using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>Request collapsing: identical misses wait for one origin request and are served from it as it streams.</summary>
public sealed class CollapsingTests
{
    [Fact]
    public async Task A_hundred_concurrent_requests_for_a_cold_key_make_one_origin_request()
    {
        // The first followers wait while the other requests still connect; past the default 10 s
        // collapse timeout (a loaded machine) they would go to the origin themselves.
        await using var o = await CacheOrigin.StartAsync(top: "cache: { collapseTimeout: 60s }");
        var release = new TaskCompletionSource();
        var body = string.Concat(Enumerable.Repeat("collapsed-", 5000));
        o.Handler = async ctx =>
        {
            await release.Task;
            await CacheOrigin.Fresh(body)(ctx);
        };
        using var active = new MetricCollector<long>(o.Proxy.Services.GetRequiredService<IMeterFactory>(), "Portico.Proxy", "portico.active.requests");
        var ct = TestContext.Current.CancellationToken;

        var requests = Enumerable.Range(0, 100).Select(_ => o.Client.GetAsync("/cold", ct)).ToArray();
        await Poll.UntilAsync(
            () =>
            {
                // Requests in progress is an observable instrument: read its value now.
                active.RecordObservableInstruments();
                return o.Hits == 1 && active.LastMeasurement?.Value == 100;
            },
            "all 100 requests to be in the proxy and one at the origin",
            seconds: 60);
        release.SetResult();
        var responses = await Task.WhenAll(requests);

        Assert.Equal(1, o.Hits);
        foreach (var response in responses)
        {
            Assert.Equal(body, await BodyAsync(response));
        }

        Assert.Equal(1, responses.Count(r => Status(r) == "Portico; fwd=uri-miss; stored"));
        Assert.Equal(99, responses.Count(r => Status(r) == "Portico; fwd=uri-miss; collapsed" || IsHit(r)));
    }

    [Fact]
    public async Task A_waiting_request_receives_the_body_as_the_origin_sends_it()
    {
        await using var o = await CacheOrigin.StartAsync();
        var second = new TaskCompletionSource();
        o.Handler = async ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            await ctx.Response.WriteAsync("first part;");
            await ctx.Response.Body.FlushAsync();
            await second.Task;
            await ctx.Response.WriteAsync("second part");
        };
        var ct = TestContext.Current.CancellationToken;

        var leader = await o.Client.GetAsync("/s", HttpCompletionOption.ResponseHeadersRead, ct);
        var followerTask = o.Client.GetAsync("/s", HttpCompletionOption.ResponseHeadersRead, ct);
        var follower = await followerTask;
        Assert.Equal("Portico; fwd=uri-miss; collapsed", Status(follower));

        // The first part reaches the follower while the origin still holds the rest back.
        var stream = await follower.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[64];
        var read = 0;
        while (read < "first part;".Length)
        {
            read += await stream.ReadAsync(buffer.AsMemory(read), ct);
        }

        Assert.Equal("first part;", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        Assert.False(second.Task.IsCompleted);
        second.SetResult();

        var rest = await new StreamReader(stream).ReadToEndAsync(ct);
        Assert.Equal("second part", rest);
        Assert.Equal("first part;second part", await leader.Content.ReadAsStringAsync(ct));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task A_waiting_request_goes_to_the_origin_itself_after_collapse_timeout()
    {
        await using var o = await CacheOrigin.StartAsync(top: "cache: { collapseTimeout: 200ms }");
        var release = new TaskCompletionSource();
        o.Handler = async ctx =>
        {
            if (ctx.Request.Headers["X-Hold"] == "1")
            {
                await release.Task;
            }

            await CacheOrigin.Fresh("x")(ctx);
        };
        var ct = TestContext.Current.CancellationToken;

        using var held = new HttpRequestMessage(HttpMethod.Get, "/k");
        held.Headers.Add("X-Hold", "1");
        var leader = o.Client.SendAsync(held, ct);
        await Poll.UntilAsync(() => o.Hits == 1, "the leader to reach the origin");
        var follower = await o.GetAsync("/k");

        Assert.Equal("x", await BodyAsync(follower));
        Assert.Equal(2, o.Hits);
        release.SetResult();
        await leader;
    }

    [Fact]
    public async Task Without_collapse_every_concurrent_miss_goes_to_the_origin()
    {
        await using var o = await CacheOrigin.StartAsync("cache: { collapse: false }");
        var release = new TaskCompletionSource();
        o.Handler = async ctx =>
        {
            await release.Task;
            await CacheOrigin.Fresh("x")(ctx);
        };
        var ct = TestContext.Current.CancellationToken;

        // All three are at the origin at once: none waited for another's response.
        var requests = Enumerable.Range(0, 3).Select(_ => o.Client.GetAsync("/k", ct)).ToArray();
        await Poll.UntilAsync(() => o.Hits == 3, "three origin requests");
        release.SetResult();
        var responses = await Task.WhenAll(requests);

        Assert.Equal(3, o.Hits);
        foreach (var response in responses)
        {
            Assert.Equal("x", await BodyAsync(response));
            Assert.Equal("Portico; fwd=uri-miss; stored", Status(response));
        }
    }
}
