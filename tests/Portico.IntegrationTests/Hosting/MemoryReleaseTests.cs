using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Cli;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Hosting;

/// <summary>
/// `proxy.releaseMemoryAfter` in the real process: never while requests are being served, once
/// when the proxy has been at rest for the period after a burst, and not at all once a reload
/// turns it off.
/// </summary>
public sealed class MemoryReleaseTests
{
    [Fact]
    public async Task Memory_is_released_once_at_rest_never_while_serving_and_not_once_turned_off()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = new string('x', 16 * 1024);
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync(body));
        string Config(string after) => $$"""
            listeners:
              main: { address: "127.0.0.1:0" }
            admin: { address: "127.0.0.1:0" }
            proxy: { releaseMemoryAfter: {{after}} }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """;
        var path = await CliTests.WriteConfigAsync(Config("1s"));
        // The full pipeline, whose requests allocate enough for the heap to grow within seconds.
        await using var portico = PorticoProcess.StartWith(new Dictionary<string, string> { ["PORTICO_FASTPATH"] = "off" }, "run", "-c", path);
        // The proxy's listener is logged first, then the admin listener's.
        var bound = await portico.WaitForListeningAsync(2);
        var (proxy, admin) = (bound[0], bound[1]);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            await ServeRestAndReloadAsync(portico, path, Config, client, proxy, admin, ct);
        }
        catch (Exception e)
        {
            // What the process said is what tells a failure here apart.
            throw new InvalidOperationException($"{e.Message}\nprocess exited: {portico.HasExited}\nstdout:\n{portico.Stdout}\nstderr:\n{portico.Stderr}", e);
        }
    }

    private static async Task ServeRestAndReloadAsync(PorticoProcess portico, string path, Func<string, string> config, HttpClient client, Uri proxy, Uri admin, CancellationToken ct)
    {
        async Task<PrometheusText> MetricsAsync() => new(await client.GetStringAsync(new Uri(admin, "/metrics"), ct));
        async Task<double?> ReleasesAsync() => (await MetricsAsync()).Value("portico_memory_releases_total");

        // Serving without a pause as long as the period, until the GC's committed memory is well
        // past the 16 MiB a first release waits for (within 30 s): never released meanwhile.
        async Task GrowHeapAsync()
        {
            var served = TimeSpan.Zero;
            while ((await MetricsAsync()).Value("dotnet_gc_last_collection_memory_committed_size_bytes") < 24 << 20)
            {
                Assert.True(served < TimeSpan.FromSeconds(30), "the GC's committed memory did not grow past 24 MiB in 30 s of requests");
                await BurstAsync(client, proxy, TimeSpan.FromSeconds(1), ct);
                served += TimeSpan.FromSeconds(1);
            }
        }

        await GrowHeapAsync();
        await BurstAsync(client, proxy, TimeSpan.FromSeconds(1.5), ct);
        Assert.Equal(0, await ReleasesAsync() ?? 0);
        Assert.DoesNotContain("released memory", portico.Stdout, StringComparison.Ordinal);

        // At rest: released within the period and a check (200 ms) of the last answer.
        await Poll.UntilAsync(() => portico.Stdout.Contains("released memory", StringComparison.Ordinal), "a release at rest", seconds: 10);
        Assert.Equal(1, await ReleasesAsync());
        Assert.Matches(@"at rest for 1s: released memory, GC committed \d+ → \d+ MiB, resident \d+ → \d+ MiB, in \d+ ms", portico.Stdout);

        // Once per quiet spell: still at rest, nothing new to give back.
        await Task.Delay(TimeSpan.FromSeconds(2.5), ct);
        Assert.Equal(1, await ReleasesAsync());

        // Turned off by a reload: the heap grown again and a longer rest release nothing.
        await File.WriteAllTextAsync(path, config("0s"), ct);
        portico.Signal("HUP");
        await Poll.UntilAsync(() => portico.Stdout.Contains("config revision 2 applied", StringComparison.Ordinal), "the reload");
        await GrowHeapAsync();
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        Assert.Equal(1, await ReleasesAsync());
    }

    /// <summary>Requests from four clients at once for <paramref name="length"/>, each answered whole.</summary>
    private static async Task BurstAsync(HttpClient client, Uri proxy, TimeSpan length, CancellationToken ct)
    {
        var end = DateTime.UtcNow + length;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (DateTime.UtcNow < end)
            {
                Assert.Equal(16 * 1024, (await client.GetStringAsync(proxy, ct)).Length);
            }
        }));
    }
}
