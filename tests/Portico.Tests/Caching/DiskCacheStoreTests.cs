using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Portico.Caching;
using Portico.Configuration.Model;

namespace Portico.Tests.Caching;

/// <summary>The disk tier's store on a real directory: what one key's file holds after stores in a given order.</summary>
public sealed class DiskCacheStoreTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("portico-disk-store-");
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddSingleton<CacheMetrics>().BuildServiceProvider();

    public void Dispose()
    {
        _services.Dispose();
        _folder.Delete(recursive: true);
    }

    private async Task<DiskCacheStore> CreateAsync()
    {
        var store = new DiskCacheStore(
            new DiskCacheSettings { Directory = _folder.FullName },
            headers => CacheDirectives.None,
            new DiskCacheLog(NullLogger<DiskCacheLog>.Instance),
            _services.GetRequiredService<CacheMetrics>());
        await store.Indexing;
        return store;
    }

    private static CacheEntry Entry(string key, int bodyBytes) => StoredEntries.Complete(key, bodyBytes);

    private static CacheEntry Part(string key) => StoredEntries.Part(key);

    [Fact]
    public async Task A_part_never_replaces_a_complete_response_stored_while_it_was_prepared()
    {
        // RFC 9111 §3.4, as MemoryCacheStoreTests' twin: PartialStore looks for a complete response
        // before it stores a part, but a 200 can be stored between that look and the part's store;
        // the disk tier's writes run in the background, so the file on disk decides.
        var store = await CreateAsync();
        await store.SetAsync(Entry("a", 26));
        await store.SetAsync(Part("a"));

        var stored = Assert.Single(store.Get("a"));
        Assert.Equal(200, stored.Status);
        Assert.Null(stored.Ranges);
        Assert.Equal(26, stored.BodyLength);
        Assert.Equal((1, new FileInfo(stored.File!.Path).Length), store.Usage);

        // The refused part's spool file is gone, as a refused write's is.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_folder.FullName, "tmp")));

        // A complete response still replaces a part.
        await store.SetAsync(Part("b"));
        await store.SetAsync(Entry("b", 26));
        Assert.Null(Assert.Single(store.Get("b")).Ranges);
    }

    [Fact]
    public async Task A_response_never_replaces_one_that_arrived_after_it()
    {
        // The tier's writes run in the background, in either order: a miss's write can land after
        // that of the stale-while-revalidate refresh that followed it, which would bring the stale
        // response back from disk once memory lets the refreshed one go, or after a restart.
        var store = await CreateAsync();
        var older = Entry("a", 10);
        await store.SetAsync(older with { Body = new byte[20], ResponseTime = older.ResponseTime.AddSeconds(1) });
        await store.SetAsync(older);

        Assert.Equal(20, Assert.Single(store.Get("a")).BodyLength);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_folder.FullName, "tmp")));

        // One of the same instant still does (a part completed into a 200, a 304's update of itself).
        await store.SetAsync(older with { Body = new byte[30], ResponseTime = older.ResponseTime.AddSeconds(1) });
        Assert.Equal(30, Assert.Single(store.Get("a")).BodyLength);
    }

    [Fact]
    public async Task A_complete_response_in_the_file_survives_a_restart_and_a_part_stored_after_it()
    {
        var first = await CreateAsync();
        await first.SetAsync(Entry("a", 26));

        // A new store over the same directory, before and after its index has the file.
        var second = await CreateAsync();
        await second.SetAsync(Part("a"));

        var stored = Assert.Single(second.Get("a"));
        Assert.Null(stored.Ranges);
        Assert.Equal(26, stored.BodyLength);
    }
}
