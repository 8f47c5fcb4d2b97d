using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>The disk tier when the process dies mid-write: what the next start finds is a miss, never a torn entry.</summary>
public sealed class DiskTierCrashTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portico-disk-crash-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

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
        var config = Path.Combine(_folder, "portico.yaml");
        await File.WriteAllTextAsync(config, $$"""
            listeners:
              local: { address: "127.0.0.1:0" }
            admin: { enabled: false }
            accessLog: { enabled: false }
            cache: { disk: { dir: cache } }
            routes:
              all: { match: { pathPrefix: / }, cluster: app, cache: {} }
            clusters:
              app: { destinations: [{{origin.Url}}] }
            """, ct);

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
}
