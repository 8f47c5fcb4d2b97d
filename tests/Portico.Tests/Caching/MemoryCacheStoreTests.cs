using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portico.Caching;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Tests.Caching;

/// <summary>The in-memory store: variants per key, byte bound with LRU eviction, per-object cap, purge.</summary>
public sealed class MemoryCacheStoreTests
{
    private static (MemoryCacheStore Store, ServiceProvider Services) Create(long maxSize, long maxObject, TimeProvider? time = null)
    {
        var config = new ActiveConfig();
        config.Set(new ConfigSnapshot(new PorticoSettings
        {
            Listeners = [],
            Proxy = new ProxySettings(),
            Routes = [],
            Clusters = [],
            Cache = new CacheSettings { MaxSizeBytes = maxSize, MaxObjectSizeBytes = maxObject },
        }, "test", 1));
        var services = new ServiceCollection().AddMetrics().AddSingleton(config).AddSingleton<CacheMetrics>().AddSingleton(time ?? TimeProvider.System).AddSingleton<ICacheStore, MemoryCacheStore>().BuildServiceProvider();
        return ((MemoryCacheStore)services.GetRequiredService<ICacheStore>(), services);
    }

    private static CacheEntry Entry(string key, int bodyBytes, string variant = "") => StoredEntries.Complete(key, bodyBytes, variant);

    [Fact]
    public async Task Variants_of_a_key_are_kept_side_by_side_and_replaced_by_their_vary_values()
    {
        var (store, services) = Create(1 << 20, 1 << 16);
        await using var _ = services;
        var ct = TestContext.Current.CancellationToken;
        await store.SetAsync(Entry("a", 10, "br"), ct);
        await store.SetAsync(Entry("a", 20, "gzip"), ct);
        await store.SetAsync(Entry("a", 30, "br"), ct);

        var variants = await store.GetAsync("a", ct);
        Assert.Equal([30, 20], variants.Select(v => v.Body.Length));
        Assert.Equal(2, store.Usage.Entries);
        Assert.Equal(variants.Sum(v => v.Size), store.Usage.Bytes);
    }

    [Fact]
    public async Task A_part_never_replaces_a_complete_response_stored_while_it_was_prepared()
    {
        // RFC 9111 §3.4: PartialStore looks for a complete response before it stores a part, but a
        // 200 can be stored between that look and the part's store (the range request and the
        // whole one in flight at once): the store keeps the complete one.
        var (store, services) = Create(1 << 20, 1 << 16);
        await using var _ = services;
        var ct = TestContext.Current.CancellationToken;
        await store.SetAsync(Entry("a", 26), ct);
        await store.SetAsync(Entry("a", 5) with { Status = 206, Ranges = new HeldRanges(26, [(0, 4)]) }, ct);

        var stored = Assert.Single(await store.GetAsync("a", ct));
        Assert.Equal(200, stored.Status);
        Assert.Null(stored.Ranges);
        Assert.Equal(26, stored.Body.Length);

        // A complete response still replaces a part.
        await store.SetAsync(Entry("b", 5) with { Status = 206, Ranges = new HeldRanges(26, [(0, 4)]) }, ct);
        await store.SetAsync(Entry("b", 26), ct);
        Assert.Null(Assert.Single(await store.GetAsync("b", ct)).Ranges);
    }

    [Fact]
    public async Task A_response_never_replaces_one_that_arrived_after_it()
    {
        // A slow miss finishes recording after the stale-while-revalidate refresh (or the miss)
        // that followed it: storing it would bring the older response back.
        var (store, services) = Create(1 << 20, 1 << 16);
        await using var _ = services;
        var ct = TestContext.Current.CancellationToken;
        var older = Entry("a", 10);
        await store.SetAsync(older with { Body = new byte[20], ResponseTime = older.ResponseTime.AddSeconds(1) }, ct);
        await store.SetAsync(older, ct);

        Assert.Equal(20, Assert.Single(await store.GetAsync("a", ct)).Body.Length);
        Assert.Equal(1, store.Usage.Entries);

        // Another variant is not held back by it, and one of the same instant still replaces.
        await store.SetAsync(Entry("a", 5, "gzip"), ct);
        await store.SetAsync(older with { Body = new byte[30], ResponseTime = older.ResponseTime.AddSeconds(1) }, ct);
        Assert.Equal([30, 5], (await store.GetAsync("a", ct)).Select(v => v.Body.Length));
    }

    [Fact]
    public async Task A_response_on_its_way_at_a_purge_is_not_stored_over_it()
    {
        // A miss whose request reached the origin before a purge (of its URL, a prefix, its key's
        // lines, a tag) and whose response finishes after it: storing it would undo the purge.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var (store, services) = Create(1 << 20, 1 << 16, time);
        await using var _ = services;
        var ct = TestContext.Current.CancellationToken;
        var sent = time.GetUtcNow();
        CacheEntry OnItsWay(string key, params string[] tags) => Entry(key, 10) with { RequestTime = sent, ResponseTime = sent, Tags = tags };

        time.Advance(TimeSpan.FromSeconds(1));
        await store.RemoveAsync("url", ct);
        await store.RemovePrefixAsync("dir/", ct);
        await store.RemovePrefixAsync("lines\n", ct);
        await store.PurgeTagsAsync(["hard"], null, ct);
        var soft = time.GetUtcNow();
        await store.PurgeTagsAsync(["soft"], soft, ct);
        time.Advance(TimeSpan.FromSeconds(1));

        foreach (var key in new[] { "url", "dir/a", "lines\nd:mobile" })
        {
            await store.SetAsync(OnItsWay(key), ct);
            Assert.Empty(await store.GetAsync(key, ct));
        }

        await store.SetAsync(OnItsWay("tagged", "other", "hard"), ct);
        Assert.Empty(await store.GetAsync("tagged", ct));
        await store.SetAsync(OnItsWay("softly", "soft"), ct);
        Assert.Equal(soft, Assert.Single(await store.GetAsync("softly", ct)).StaleFrom);

        // Others are stored, and so is a response to a request sent after the purge.
        await store.SetAsync(OnItsWay("urls", "other"), ct);
        await store.SetAsync(OnItsWay("lines"), ct);
        Assert.Null(Assert.Single(await store.GetAsync("urls", ct)).StaleFrom);
        Assert.Single(await store.GetAsync("lines", ct));
        var later = time.GetUtcNow();
        await store.SetAsync(Entry("url", 20) with { RequestTime = later, ResponseTime = later }, ct);
        Assert.Equal(20, Assert.Single(await store.GetAsync("url", ct)).Body.Length);

        // An unsafe request's invalidation keeps out what was on its way to requests sent before
        // it, not its own response (a POST's, RFC 9110 §9.3.3), stored after it.
        var post = time.GetUtcNow();
        time.Advance(TimeSpan.FromSeconds(1));
        await store.RemoveAsync("posted", ct, sentBefore: post);
        await store.SetAsync(Entry("posted", 10) with { RequestTime = post.AddTicks(-1), ResponseTime = post }, ct);
        Assert.Empty(await store.GetAsync("posted", ct));
        await store.SetAsync(Entry("posted", 30) with { RequestTime = post, ResponseTime = post }, ct);
        Assert.Equal(30, Assert.Single(await store.GetAsync("posted", ct)).Body.Length);

        // A promotion from another tier is not a response on its way: placed whatever its age.
        store.Place(OnItsWay("dir/b"));
        Assert.Single(await store.GetAsync("dir/b", ct));

        // Purges are remembered for a while; a response whose request is older than one forgotten
        // is not stored (it may predate it), one sent after it is.
        time.Advance(PurgeFence.Kept);
        await store.RemoveAsync("elsewhere", ct);
        await store.SetAsync(OnItsWay("unrelated"), ct);
        Assert.Empty(await store.GetAsync("unrelated", ct));
        var now = time.GetUtcNow();
        await store.SetAsync(Entry("unrelated", 10) with { RequestTime = now, ResponseTime = now }, ct);
        Assert.Single(await store.GetAsync("unrelated", ct));
    }

    [Fact]
    public async Task The_least_recently_used_key_is_evicted_to_stay_within_max_size()
    {
        var entrySize = Entry("x", 1000).Size;
        var (store, services) = Create(entrySize * 3, 4096);
        await using var _ = services;
        var ct = TestContext.Current.CancellationToken;
        await store.SetAsync(Entry("a", 1000), ct);
        await store.SetAsync(Entry("b", 1000), ct);
        await store.SetAsync(Entry("c", 1000), ct);
        await store.GetAsync("a", ct);
        await store.SetAsync(Entry("d", 1000), ct);

        Assert.NotEmpty(await store.GetAsync("a", ct));
        Assert.Empty(await store.GetAsync("b", ct));
        Assert.NotEmpty(await store.GetAsync("c", ct));
        Assert.NotEmpty(await store.GetAsync("d", ct));
        Assert.True(store.Usage.Bytes <= entrySize * 3);
    }

    [Fact]
    public async Task A_body_over_max_object_size_is_not_stored()
    {
        var (store, services) = Create(1 << 20, 100);
        await using var _ = services;
        await store.SetAsync(Entry("a", 101), TestContext.Current.CancellationToken);

        Assert.Equal((0, 0), store.Usage);
    }

    [Fact]
    public async Task Remove_and_remove_prefix_count_the_variants_they_drop()
    {
        var (store, services) = Create(1 << 20, 1 << 16);
        await using var _ = services;
        var ct = TestContext.Current.CancellationToken;
        await store.SetAsync(Entry("http://h/docs/a", 1, "br"), ct);
        await store.SetAsync(Entry("http://h/docs/a", 1, "gzip"), ct);
        await store.SetAsync(Entry("http://h/docs/b", 1), ct);
        await store.SetAsync(Entry("http://h/img", 1), ct);

        Assert.Equal(2, await store.RemoveAsync("http://h/docs/a", ct));
        Assert.Equal(0, await store.RemoveAsync("http://h/docs/a", ct));
        Assert.Equal(1, await store.RemovePrefixAsync("http://h/docs/", ct));
        Assert.Equal(1, store.Usage.Entries);
    }
}
