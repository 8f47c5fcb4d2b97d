using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portico.Caching;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// Stored parts (RFC 9111 §3.3, §3.4) in the disk tier: kept across a restart with the ranges they
/// hold, and parts larger than the memory tier takes combined file to file.
/// </summary>
public sealed class DiskTierPartialContentTests : IDisposable
{
    // The key holds the Host: a restarted proxy listens on another port, its clients name the same site.
    private const string Site = "cache.example";

    // 3000 bytes that never repeat at a stretch a wrong offset could hide in: "0000,0001,...".
    private static readonly string Text = string.Concat(Enumerable.Range(0, 600).Select(i => i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + ","));

    private readonly string _dir = Directory.CreateTempSubdirectory("portico-partial-").FullName;

    public void Dispose() => Folders.Delete(_dir);

    [Fact]
    public async Task A_restarted_proxy_answers_from_the_part_the_last_one_stored_and_fills_it()
    {
        await using var o = await StoredPartAsync("8MiB", "bytes=0-99");

        await using var second = await TestProxy.StartAsync(o.Config("cache: {}", Top("8MiB")));
        second.Client.DefaultRequestHeaders.Host = Site;
        var hit = await SendAsync(second.Client, "/a", "bytes=10-19");
        Assert.True(IsHit(hit), Status(hit));
        Assert.Equal(HttpStatusCode.PartialContent, hit.StatusCode);
        Assert.Equal(Text[10..20], await BodyAsync(hit));
        Assert.Equal("bytes 10-19/3000", hit.Content.Headers.ContentRange?.ToString());

        var filled = await SendAsync(second.Client, "/a", "bytes=50-149");
        Assert.Equal("bytes=100-149", o.Last.Headers.GetValueOrDefault("Range"));
        Assert.Equal(Text[50..150], await BodyAsync(filled));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task Parts_larger_than_the_memory_tier_combine_in_files_into_a_complete_response()
    {
        await using var o = await StoredPartAsync("1KiB", "bytes=0-1499");

        var combined = await SendAsync(o.Client, "/a", "bytes=1000-2999");
        Assert.Equal("bytes=1500-2999", o.Last.Headers.GetValueOrDefault("Range"));
        Assert.Equal(Text[1000..], await BodyAsync(combined));
        Assert.Equal("bytes 1000-2999/3000", combined.Content.Headers.ContentRange?.ToString());

        // Once the combined file replaced the part's, the whole response is a hit, read from it.
        var disk = ((TieredCacheStore)o.Proxy.Services.GetRequiredService<ICacheStore>()).Disk!;
        await Poll.UntilAsync(() => disk.Get($"http://{Site}/a") is [{ Ranges: null }], "the combined response to be stored");
        var whole = await SendAsync(o.Client, "/a", null);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(Text, await BodyAsync(whole));
        Assert.Equal(2, o.Hits);
        Assert.Equal(0, o.Proxy.Services.GetRequiredService<ICacheStore>().Usage.Entries);
        Assert.Single(Files());
    }

    // A proxy (memory objects up to `memoryObject`) whose disk tier holds the part the origin sent for `range`.
    private async Task<CacheOrigin> StoredPartAsync(string memoryObject, string range)
    {
        var o = await CacheOrigin.StartAsync(top: Top(memoryObject));
        o.Client.DefaultRequestHeaders.Host = Site;
        o.Handler = new RangedOrigin(Text, "\"v1\"").HandleAsync;
        await SendAsync(o.Client, "/a", range);
        await WaitForFilesAsync(o.Proxy, 1);
        return o;
    }

    private string Top(string memoryObject)
        => $"cache: {{ maxObjectSize: {memoryObject}, disk: {{ dir: \"{_dir}\", maxSize: 64MiB }} }}";

    private string[] Files() => Directory.GetFiles(_dir, "*.entry", SearchOption.AllDirectories);

    private async Task WaitForFilesAsync(TestProxy proxy, int count)
        => await Poll.UntilAsync(
            () => ((TieredCacheStore)proxy.Services.GetRequiredService<ICacheStore>()).Disk!.Usage.Entries == count && Files().Length == count,
            $"{count} file(s) in the disk tier");

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string? range)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (range is not null)
        {
            request.Headers.TryAddWithoutValidation("Range", range);
        }

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }
}
