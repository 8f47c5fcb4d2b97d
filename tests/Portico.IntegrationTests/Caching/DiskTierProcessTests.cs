using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// The disk tier in a `portico run` process of its own: killed mid-write (what the next start
/// finds is a miss, never a torn entry), and the memory a body far larger than the memory tier takes.
/// </summary>
public sealed class DiskTierProcessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portico-disk-crash-").FullName;

    public void Dispose() => Folders.Delete(_folder);

    [Fact]
    public async Task A_process_killed_while_storing_a_body_leaves_a_miss_not_a_truncated_hit()
    {
        var ct = TestContext.Current.CancellationToken;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trickling = true;
        await using var origin = await TestBackend.StartAsync("origin", async ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=600";
            ctx.Response.ContentLength = 1 << 20;
            var piece = new byte[64 * 1024];
            Array.Fill(piece, (byte)'x');
            await ctx.Response.Body.WriteAsync(piece);
            if (trickling)
            {
                // The rest never comes while the first process lives.
                await ctx.Response.Body.FlushAsync();
                await release.Task.WaitAsync(ctx.RequestAborted);
            }

            for (var sent = piece.Length; sent < 1 << 20; sent += piece.Length)
            {
                await ctx.Response.Body.WriteAsync(piece);
            }
        });
        var dir = Path.Combine(_folder, "cache");
        var config = await ConfigAsync("{ disk: { dir: cache } }", origin, ct);

        await using (var first = PorticoProcess.Start("run", "-c", config))
        {
            var address = (await first.WaitForListeningAsync())[0];
            using var client = new HttpClient { BaseAddress = address };

            // The key holds the Host: the restarted process listens on another port, its clients name the same site.
            client.DefaultRequestHeaders.Host = "cache.example";
            var response = await client.GetAsync("/file", HttpCompletionOption.ResponseHeadersRead, ct);
            Assert.Equal("Portico; fwd=uri-miss; stored", Status(response));
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            Assert.True(await body.ReadAsync(new byte[1024], ct) > 0);
            await Poll.UntilAsync(() => Spooled().Any(f => new FileInfo(f).Length > 0), "the body to reach the disk tier's temporary file");

            first.Signal("KILL");
            Assert.Equal(137, await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }

        Assert.Empty(Directory.GetFiles(dir, "*.entry", SearchOption.AllDirectories));
        var leftovers = Spooled().ToArray();
        Assert.NotEmpty(leftovers);
        trickling = false;
        await using var second = PorticoProcess.Start("run", "-c", config);
        using var again = new HttpClient { BaseAddress = (await second.WaitForListeningAsync())[0] };
        again.DefaultRequestHeaders.Host = "cache.example";
        var whole = await again.GetAsync("/file", ct);

        Assert.Equal("Portico; fwd=uri-miss; stored", Status(whole));
        Assert.Equal(1 << 20, (await whole.Content.ReadAsByteArrayAsync(ct)).Length);
        Assert.Equal(2, origin.Count);
        Assert.All(leftovers, f => Assert.False(File.Exists(f), $"{f} was not swept at start"));

        IEnumerable<string> Spooled() => Directory.Exists(Path.Combine(dir, "tmp")) ? Directory.GetFiles(Path.Combine(dir, "tmp")) : [];
    }

    [Fact]
    public async Task A_body_far_larger_than_the_memory_tier_is_stored_and_served_without_being_held_in_memory()
    {
        const int Size = 96 << 20;
        var ct = TestContext.Current.CancellationToken;
        await using var origin = await TestBackend.StartAsync("origin", new RequestDelegate(DiskTierTests.Bytes(Size)));
        var config = await ConfigAsync("{ maxObjectSize: 64KiB, disk: { dir: cache } }", origin, ct);
        await using var portico = PorticoProcess.Start("run", "-c", config);
        using var client = new HttpClient { BaseAddress = (await portico.WaitForListeningAsync())[0] };
        var warm = await DiskTierTests.StreamAsync(client, "/warm", ct);
        var before = portico.PeakRssBytes();

        var (stored, storedHash) = await DiskTierTests.StreamAsync(client, "/big", ct);
        await Poll.UntilAsync(() => Directory.GetFiles(Path.Combine(_folder, "cache"), "*.entry", SearchOption.AllDirectories).Length == 2, "both bodies in the disk tier");
        var (hit, hitHash) = await DiskTierTests.StreamAsync(client, "/big", ct);
        var grown = portico.PeakRssBytes() - before;

        Assert.Equal("Portico; fwd=uri-miss; stored", Status(stored));
        Assert.True(IsHit(hit), Status(hit));
        Assert.Equal(storedHash, hitHash);
        Assert.Equal(2, origin.Count);

        // Held whole, the body alone would add 96 MiB at its store and again at its hit.
        Assert.True(grown < Size / 3, $"peak resident memory grew {grown >> 20} MiB storing and serving a {Size >> 20} MiB body");
    }

    // A portico.yaml in the test's folder (so `dir: cache` is beside it): one cached route to the origin.
    private async Task<string> ConfigAsync(string cache, TestBackend origin, CancellationToken ct)
    {
        var config = Path.Combine(_folder, "portico.yaml");
        await File.WriteAllTextAsync(config, $$"""
            listeners:
              local: { address: "127.0.0.1:0" }
            admin: { enabled: false }
            accessLog: { enabled: false }
            cache: {{cache}}
            routes:
              all: { match: { pathPrefix: / }, cluster: app, cache: {} }
            clusters:
              app: { destinations: [{{origin.Url}}] }
            """, ct);
        return config;
    }
}
