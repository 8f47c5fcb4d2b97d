using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Portico.Caching;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Tests.Caching;

/// <summary>
/// stale-while-revalidate's background refresh (RFC 5861 §3) with the real forwarder and memory
/// store; the origin is the delegate the forwarder calls, counting what reaches it.
/// </summary>
public sealed class CacheRefresherTests
{
    private const string Key = "http://example/a";

    private static readonly DateTimeOffset Stored = DateTimeOffset.UtcNow.AddSeconds(-90);

    private static readonly CacheEntry Stale = Entry("v1", "\"1\"", Stored);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_refresh_asks_the_origin_only_while_the_store_still_holds_the_stale_entry(bool replaced)
    {
        // A fresh-clone CI run: of the stale answers sent at once, one looked the entry up just
        // before the first refresh stored its successor and began its own refresh once the first
        // had ended: the origin was asked twice and the first refresh's response replaced.
        await using var cache = await Cache.CreateAsync(replaced ? Entry("v2", "\"2\"", Stored.AddSeconds(89)) : Stale);

        await cache.RefreshAsync();

        // Revalidated with the stale entry's validator, and its response stored in its place.
        Assert.Equal(replaced ? [] : ["\"1\""], cache.Origin);
        Assert.Equal("v2", await cache.HeldAsync());
    }

    [Fact]
    public async Task A_304_does_not_update_the_stale_entry_over_a_response_stored_while_it_waited()
    {
        // §4.3.4: the 304 vouches for the response it was asked about; had it been written over what
        // another request stored meanwhile (a changed representation), the old body would be back.
        await using var cache = await Cache.CreateAsync(Stale);
        cache.Answer = async context =>
        {
            await cache.Store.SetAsync(Entry("v3", "\"3\"", DateTimeOffset.UtcNow), CancellationToken.None);
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            context.Response.Headers.CacheControl = "max-age=60";
        };

        await cache.RefreshAsync();

        Assert.Single(cache.Origin);
        Assert.Equal("v3", await cache.HeldAsync());
    }

    [Fact]
    public async Task A_second_stale_answer_while_the_refresh_runs_begins_none()
    {
        await using var cache = await Cache.CreateAsync(Stale);
        cache.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = cache.RefreshAsync();
        await cache.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var second = cache.RefreshAsync();
        cache.Hold.SetResult();
        await Task.WhenAll(first, second);

        Assert.True(second.IsCompletedSuccessfully);
        Assert.Single(cache.Origin);
    }

    private static DefaultHttpContext ClientRequest()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("example");
        context.Request.Path = "/a";
        return context;
    }

    private static CacheEntry Entry(string body, string etag, DateTimeOffset at) => new()
    {
        Key = Key,
        Vary = [],
        Status = 200,
        Headers = [new("Cache-Control", "max-age=60, stale-while-revalidate=600"), new("ETag", etag)],
        Body = Encoding.ASCII.GetBytes(body),
        RequestTime = at,
        ResponseTime = at,
        Date = at,
        Directives = CacheDirectives.Parse(new StringValues("max-age=60, stale-while-revalidate=600")),
    };

    private static string Body(CacheEntry entry) => Encoding.ASCII.GetString(entry.Body.Span);

    private sealed class Cache : IAsyncDisposable
    {
        private ServiceProvider _services = null!;

        public ICacheStore Store { get; private set; } = null!;

        public CacheRefresher Refresher { get; private set; } = null!;

        public CacheForwarder Forwarder { get; private set; } = null!;

        public CacheRequest Request { get; } = new()
        {
            RouteId = "site",
            Settings = new RouteCacheSettings(),
            Store = new CacheSettings(),
            Key = Key,
            AcceptEncoding = "",
            Directives = CacheDirectives.None,
        };

        /// <summary>The If-None-Match of each request that reached the origin.</summary>
        public List<string> Origin { get; } = [];

        /// <summary>Set to keep the origin's answer until it completes.</summary>
        public TaskCompletionSource? Hold { get; set; }

        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The origin's answer; by default 200 "v2", fresh, with ETag "2".</summary>
        public Func<HttpContext, Task>? Answer { get; set; }

        /// <summary>Refreshes <see cref="Stale"/>, as a request answered with it would.</summary>
        public Task RefreshAsync() => Refresher.Start(ClientRequest(), Request, Stale, Forwarder);

        /// <summary>The body of the one response stored.</summary>
        public async Task<string> HeldAsync() => Body(Assert.Single(await Store.GetAsync(Key, CancellationToken.None)));

        /// <param name="held">What the store holds when the refresh begins.</param>
        public static async Task<Cache> CreateAsync(CacheEntry held)
        {
            var config = new ActiveConfig();
            config.Set(new ConfigSnapshot(new PorticoSettings { Listeners = [], Proxy = new ProxySettings(), Routes = [], Clusters = [] }, "test", 1));
            var cache = new Cache();
            cache._services = new ServiceCollection().AddLogging().AddMetrics().AddSingleton(config)
                .AddSingleton<CacheMetrics>().AddSingleton<CacheLog>().AddSingleton<PartialCacheLog>().AddSingleton<PartialStore>()
                .AddSingleton(TimeProvider.System).AddSingleton<ICacheStore, MemoryCacheStore>().BuildServiceProvider();
            var services = cache._services;
            cache.Store = services.GetRequiredService<ICacheStore>();
            cache.Refresher = new CacheRefresher(services.GetRequiredService<CacheLog>(), services.GetRequiredService<IServiceScopeFactory>());
            cache.Forwarder = new CacheForwarder(cache.AnswerAsync, cache.Store, services.GetRequiredService<PartialStore>(), services.GetRequiredService<CacheMetrics>(), TimeProvider.System);
            await cache.Store.SetAsync(held, CancellationToken.None);
            return cache;
        }

        private async Task AnswerAsync(HttpContext context)
        {
            lock (Origin)
            {
                Origin.Add(context.Request.Headers.IfNoneMatch.ToString());
            }

            Reached.TrySetResult();
            if (Hold is { } hold)
            {
                await hold.Task;
            }

            if (Answer is { } answer)
            {
                await answer(context);
                return;
            }

            context.Response.Headers.CacheControl = "max-age=60, stale-while-revalidate=600";
            context.Response.Headers.ETag = "\"2\"";
            await context.Response.WriteAsync("v2");
        }

        public ValueTask DisposeAsync() => _services.DisposeAsync();
    }
}
