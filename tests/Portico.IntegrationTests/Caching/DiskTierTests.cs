using System.IO.Hashing;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Caching;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// The disk tier behind the memory tier (`cache.disk`): what it keeps across a restart, how it
/// stays within its budget, bodies larger than memory, purges, and damaged files.
/// </summary>
public sealed class DiskTierTests : IDisposable
{
    private const string Token = "disk-tier-token-0123456789";

    // The key holds the Host: a restarted proxy listens on another port, its clients name the same site.
    private const string Site = "cache.example";

    private readonly string _dir = Directory.CreateTempSubdirectory("portico-disk-").FullName;

    public void Dispose() => Folders.Delete(_dir);

    [Fact]
    public async Task A_restarted_proxy_serves_what_the_last_one_stored_on_disk()
    {
        await using var o = await CacheOrigin.StartAsync(top: Top());
        o.Client.DefaultRequestHeaders.Host = Site;
        o.Handler = CacheOrigin.Fresh("kept across restarts");
        Assert.False(IsHit(await o.GetAsync("/a")));
        Assert.False(IsHit(await o.GetAsync("/b")));
        await WaitForFilesAsync(o.Proxy, 2);

        await using var second = await RestartAsync(o);
        var a = await GetAsync(second, "/a");
        var b = await GetAsync(second, "/b");

        Assert.True(IsHit(a), Status(a));
        Assert.True(IsHit(b), Status(b));
        Assert.Equal("kept across restarts", await BodyAsync(a));
        Assert.Equal(2, o.Hits);
        await Poll.UntilAsync(() => second.Logs.Messages(5100).Any(), "the start-up index to finish");
        Assert.Contains(second.Logs.Messages(5100), m => m.Contains(": 2 stored response(s), ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_budget_smaller_than_the_working_set_deletes_the_least_recently_used_first()
    {
        // 300 KiB bodies, none of them held in memory (maxObjectSize 1KiB): three fit in 1MiB, four do not.
        await using var o = await CacheOrigin.StartAsync(top: Top(memoryObject: "1KiB", diskSize: "1MiB"));
        o.Client.DefaultRequestHeaders.Host = Site;
        o.Handler = Bytes(300 * 1024);
        var files = new Dictionary<string, string>();
        foreach (var path in new[] { "/a", "/b", "/c" })
        {
            var before = Files();
            await o.GetAsync(path);
            await WaitForFilesAsync(o.Proxy, before.Length + 1);
            files[path] = Files().Except(before).Single();
        }

        Assert.True(IsHit(await o.GetAsync("/a"))); // /a is now more recently used than /b
        await o.GetAsync("/d");
        await Poll.UntilAsync(() => !File.Exists(files["/b"]) && Files().Length == 3, "/d stored and /b's file deleted");
        Assert.Equal(3, Disk(o.Proxy).Usage.Entries);
        Assert.True(File.Exists(files["/a"]) && File.Exists(files["/c"]));

        foreach (var path in new[] { "/a", "/c", "/d" })
        {
            var hit = await o.GetAsync(path);
            Assert.True(IsHit(hit), $"{path}: {Status(hit)}");
        }

        Assert.False(IsHit(await o.GetAsync("/b")));
        Assert.Equal(5, o.Hits);
        Assert.Equal(0, MemoryEntries(o.Proxy));
    }

    [Fact]
    public async Task A_body_larger_than_the_memory_tier_is_stored_on_disk_and_streamed_from_it()
    {
        // The memory it takes is measured in a process of its own: DiskTierProcessTests.
        const int Size = 24 << 20;
        await using var o = await CacheOrigin.StartAsync(top: Top(memoryObject: "64KiB"));
        o.Client.DefaultRequestHeaders.Host = Site;
        o.Handler = Bytes(Size);
        var ct = TestContext.Current.CancellationToken;
        var (first, firstHash) = await StreamAsync(o.Client, "/big", ct);
        Assert.False(IsHit(first));
        Assert.Equal("Portico; fwd=uri-miss; stored", Status(first));
        await WaitForFilesAsync(o.Proxy, 1);

        var (hit, hitHash) = await StreamAsync(o.Client, "/big", ct);

        Assert.True(IsHit(hit), Status(hit));
        Assert.Equal(Size, hit.Content.Headers.ContentLength);
        Assert.Equal(firstHash, hitHash);
        Assert.Equal(1, o.Hits);
        Assert.Equal(0, MemoryEntries(o.Proxy));

        // A range of it, from the file.
        using var range = new HttpRequestMessage(HttpMethod.Get, "/big");
        range.Headers.Range = new RangeHeaderValue(Size - 10, null);
        using var partial = await o.Client.SendAsync(range, ct);
        Assert.Equal(206, (int)partial.StatusCode);
        Assert.Equal(Enumerable.Range(Size - 10, 10).Select(Pattern).ToArray(), await partial.Content.ReadAsByteArrayAsync(ct));
    }

    [Fact]
    public async Task Purging_a_url_or_a_prefix_deletes_their_files()
    {
        await using var o = await CacheOrigin.StartAsync(top: Top() + $"\nadmin: {{ address: \"127.0.0.1:0\", token: {Token} }}");
        o.Client.DefaultRequestHeaders.Host = Site;
        var ct = TestContext.Current.CancellationToken;
        foreach (var path in new[] { "/docs/a", "/docs/b", "/img/c" })
        {
            await o.GetAsync(path);
        }

        await WaitForFilesAsync(o.Proxy, 3);
        using var admin = new HttpClient { BaseAddress = o.Proxy.AdminAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var tiers = JsonDocument.Parse(await admin.GetStringAsync("/api/cache", ct)).RootElement.GetProperty("tiers");
        Assert.Equal(3, tiers.GetProperty("disk").GetProperty("entries").GetInt32());
        Assert.Equal(3, tiers.GetProperty("memory").GetProperty("entries").GetInt32());

        const string origin = "http://" + Site;
        var prefix = await admin.PostAsync($"/api/cache/purge?prefix={Uri.EscapeDataString(origin + "/docs/")}", null, ct);
        Assert.Equal("{\"purged\":2}", await prefix.Content.ReadAsStringAsync(ct));
        Assert.Single(Files());
        var one = await admin.PostAsync($"/api/cache/purge?url={Uri.EscapeDataString(origin + "/img/c")}", null, ct);
        Assert.Equal("{\"purged\":1}", await one.Content.ReadAsStringAsync(ct));
        Assert.Empty(Files());

        await using var second = await RestartAsync(o);
        Assert.False(IsHit(await GetAsync(second, "/img/c")));
    }

    [Fact]
    public async Task A_damaged_file_is_not_served_and_is_deleted()
    {
        await using var o = await CacheOrigin.StartAsync(top: Top());
        o.Client.DefaultRequestHeaders.Host = Site;
        o.Handler = CacheOrigin.Fresh("the stored body");
        await o.GetAsync("/flipped");
        await WaitForFilesAsync(o.Proxy, 1);
        var flipped = Files().Single();
        await o.GetAsync("/cut");
        await WaitForFilesAsync(o.Proxy, 2);
        var cut = Files().Single(f => f != flipped);

        // One byte of the body changed (the body's checksum catches it), and a file cut short (its trailer is not where it should be).
        var bytes = await File.ReadAllBytesAsync(flipped, TestContext.Current.CancellationToken);
        bytes[4] ^= 0x20;
        await File.WriteAllBytesAsync(flipped, bytes, TestContext.Current.CancellationToken);
        using (var file = new FileStream(cut, FileMode.Open))
        {
            file.SetLength(file.Length - 7);
        }

        await using var second = await RestartAsync(o);
        var a = await GetAsync(second, "/flipped");
        var b = await GetAsync(second, "/cut");

        Assert.False(IsHit(a), Status(a));
        Assert.False(IsHit(b), Status(b));
        Assert.Equal("the stored body", await BodyAsync(a));
        Assert.Equal(4, o.Hits);
        var damaged = second.Logs.Messages(5101).ToArray();
        Assert.Contains($"cache: disk tier file {flipped} is damaged (body cut short or checksum mismatch); deleted", damaged);
        Assert.Contains($"cache: disk tier file {cut} is damaged (no trailer); deleted", damaged);

        // The misses stored both again, whole.
        await Poll.UntilAsync(() => Disk(second).Usage.Entries == 2, "both stored again");
        Assert.True(IsHit(await GetAsync(second, "/cut")));
    }

    [Fact]
    public async Task A_head_response_freshens_a_stored_get_that_only_the_disk_holds()
    {
        // RFC 9111 §4.3.5 compares the HEAD's Content-Length with the stored body's, here in a file only.
        await using var o = await CacheOrigin.StartAsync(top: Top(memoryObject: "1"));
        o.Client.DefaultRequestHeaders.Host = Site;
        o.Handler = ctx =>
        {
            if (HttpMethods.IsHead(ctx.Request.Method))
            {
                ctx.Response.Headers.CacheControl = "max-age=600";
                ctx.Response.Headers.ETag = "\"v1\"";
                ctx.Response.Headers["X-Version"] = "2";
                ctx.Response.ContentLength = 5;
                return Task.CompletedTask;
            }

            return CacheOrigin.Fresh("hello", ("Cache-Control", "max-age=60"), ("Age", "100"), ("ETag", "\"v1\""), ("X-Version", "1"))(ctx);
        };
        await o.GetAsync("/a");
        await WaitForFilesAsync(o.Proxy, 1);
        var file = Files().Single();

        await o.SendAsync(HttpMethod.Head, "/a");
        await Poll.UntilAsync(() => File.ReadAllText(file).Contains("max-age=600", StringComparison.Ordinal), "the freshened head in the file");
        var get = await o.GetAsync("/a");

        Assert.True(IsHit(get), Status(get));
        Assert.Equal("hello", await BodyAsync(get));
        Assert.Equal("2", Header(get, "X-Version"));
        Assert.Equal(2, o.Hits);
        Assert.Equal(0, MemoryEntries(o.Proxy));
    }

    [Fact]
    public async Task Tag_purges_reach_responses_only_the_disk_holds_and_tags_and_soft_purges_outlive_a_restart()
    {
        // Nothing fits the memory tier (maxObjectSize 1 byte): every response is in a file only.
        var top = Top(memoryObject: "1") + $"\nadmin: {{ address: \"127.0.0.1:0\", token: {Token} }}";
        await using var o = await CacheOrigin.StartAsync(top: top);
        o.Client.DefaultRequestHeaders.Host = Site;
        o.Handler = ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=600";
            ctx.Response.Headers.ETag = "\"v1\"";
            ctx.Response.Headers["Cache-Tag"] = ctx.Request.Path.Value switch
            {
                "/soft" => "s1 both",
                "/hard" => "h1,both",
                _ => "other",
            };
            if (ctx.Request.Headers.IfNoneMatch == "\"v1\"")
            {
                ctx.Response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }

            return ctx.Response.WriteAsync("body of " + ctx.Request.Path);
        };
        foreach (var path in new[] { "/soft", "/hard", "/kept" })
        {
            await o.GetAsync(path);
        }

        await WaitForFilesAsync(o.Proxy, 3);
        Assert.Equal(0, MemoryEntries(o.Proxy));

        // A proxy that knows the tags from the files alone.
        await using var second = await RestartAsync(o, top);
        var ct = TestContext.Current.CancellationToken;
        using var admin = new HttpClient { BaseAddress = second.AdminAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var hard = await admin.PostAsync("/api/cache/purge?tag=h1", null, ct);
        Assert.Equal("{\"purged\":1}", await hard.Content.ReadAsStringAsync(ct));
        Assert.Equal(2, Files().Length);
        var soft = await admin.PostAsync("/api/cache/purge?tag=s1&soft=true", null, ct);
        Assert.Equal("{\"purged\":1}", await soft.Content.ReadAsStringAsync(ct));
        Assert.Equal(2, Files().Length);
        var softened = await GetAsync(second, "/soft");
        Assert.StartsWith("Portico; fwd=stale; fwd-status=304", Status(softened), StringComparison.Ordinal);
        Assert.Equal("body of /soft", await BodyAsync(softened));
        Assert.Equal(4, o.Hits);
        Assert.False(IsHit(await GetAsync(second, "/hard")));
        Assert.True(IsHit(await GetAsync(second, "/kept")));
        Assert.Equal(5, o.Hits);
        await WaitForFilesAsync(second, 3);

        // A soft purge is in the file: a third proxy revalidates what the second marked.
        Assert.Equal("{\"purged\":2}", await (await admin.PostAsync("/api/cache/purge?tag=both&soft=true", null, ct)).Content.ReadAsStringAsync(ct));
        await using var third = await RestartAsync(o, top);
        var revalidated = await GetAsync(third, "/hard");
        Assert.StartsWith("Portico; fwd=stale; fwd-status=304", Status(revalidated), StringComparison.Ordinal);
        Assert.Equal("\"v1\"", o.Last.Headers["If-None-Match"]);
        Assert.True(IsHit(await GetAsync(third, "/kept")));
        Assert.Equal(6, o.Hits);
    }

    private string Top(string memoryObject = "8MiB", string diskSize = "64MiB")
        => $"cache: {{ maxObjectSize: {memoryObject}, disk: {{ dir: \"{_dir}\", maxSize: {diskSize} }} }}";

    // A second proxy on the same directory, as after a restart.
    private async Task<TestProxy> RestartAsync(CacheOrigin o, string? top = null)
    {
        var proxy = await TestProxy.StartAsync(o.Config("cache: {}", top ?? Top()));
        proxy.Client.DefaultRequestHeaders.Host = Site;
        return proxy;
    }

    private string[] Files() => Directory.GetFiles(_dir, "*.entry", SearchOption.AllDirectories);

    private async Task WaitForFilesAsync(TestProxy proxy, int count)
        => await Poll.UntilAsync(() => Disk(proxy).Usage.Entries == count && Files().Length == count, $"{count} file(s) in the disk tier");

    private static TieredCacheStore Store(TestProxy proxy) => (TieredCacheStore)proxy.Services.GetRequiredService<ICacheStore>();

    private static DiskCacheStore Disk(TestProxy proxy) => Store(proxy).Disk!;

    private static long MemoryEntries(TestProxy proxy) => proxy.Services.GetRequiredService<ICacheStore>().Usage.Entries;

    private static async Task<HttpResponseMessage> GetAsync(TestProxy proxy, string path)
    {
        var response = await proxy.Client.GetAsync(path, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }

    internal static byte Pattern(int i) => (byte)(i * 7 % 251);

    // A body of `size` bytes in a known pattern, written 64 KiB at a time, fresh for a minute.
    internal static Func<HttpContext, Task> Bytes(int size) => async ctx =>
    {
        ctx.Response.Headers.CacheControl = "max-age=60";
        ctx.Response.ContentType = "application/octet-stream";
        ctx.Response.ContentLength = size;
        var chunk = new byte[64 * 1024];
        for (var at = 0; at < size; at += chunk.Length)
        {
            var n = Math.Min(chunk.Length, size - at);
            for (var i = 0; i < n; i++)
            {
                chunk[i] = Pattern(at + i);
            }

            await ctx.Response.Body.WriteAsync(chunk.AsMemory(0, n));
        }
    };

    // Reads the body through a fixed buffer into a hash, so the client holds none of it.
    internal static async Task<(HttpResponseMessage Response, ulong Hash)> StreamAsync(HttpClient client, string path, CancellationToken ct)
    {
        var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct);
        var hash = new XxHash3();
        var buffer = new byte[64 * 1024];
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            hash.Append(buffer.AsSpan(0, read));
        }

        return (response, hash.GetCurrentHashAsUInt64());
    }
}
