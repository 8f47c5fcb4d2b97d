using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Caching;

/// <summary>The real portico process: cache and compression in /metrics, the access log's `cache` field, the config view.</summary>
public sealed class CacheObservabilityTests
{
    [Fact]
    public async Task Metrics_and_the_access_log_show_hits_misses_and_compression()
    {
        var text = string.Concat(Enumerable.Repeat("compressible text ", 500));
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.Headers.CacheControl = ctx.Request.Path == "/nostore" ? "no-store" : "max-age=60";
            ctx.Response.ContentType = "text/plain";
            return ctx.Response.WriteAsync(text);
        });
        var dir = Directory.CreateTempSubdirectory("portico-cache-metrics-").FullName;
        var log = Path.Combine(dir, "access.log");
        var path = Path.Combine(dir, "portico.yaml");
        await File.WriteAllTextAsync(path, $$"""
            listeners:
              main: { address: "127.0.0.1:0" }
            admin: { address: "127.0.0.1:0" }
            accessLog: { output: "{{log}}" }
            cache: { maxSize: 1MiB }
            routes:
              site: { match: { pathPrefix: / }, cluster: app, cache: {}, compression: { encodings: [gzip] } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """, TestContext.Current.CancellationToken);
        await using var portico = PorticoProcess.Start("run", "-c", path);
        var bound = await portico.WaitForListeningAsync(2);
        var (port, adminPort) = (bound[0].Port, bound[1].Port);
        using var client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.GZip });
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(text, await client.GetStringAsync($"http://127.0.0.1:{port}/page", ct));
        }

        await client.GetStringAsync($"http://127.0.0.1:{port}/nostore", ct);
        await client.PostAsync($"http://127.0.0.1:{port}/page", null, ct);

        var metrics = new PrometheusText(await client.GetStringAsync($"http://127.0.0.1:{adminPort}/metrics", ct));
        var site = ("route", "site");
        Assert.Equal(2, metrics.Value("portico_cache_requests_total", site, ("outcome", "hit")));
        Assert.Equal(2, metrics.Value("portico_cache_requests_total", site, ("outcome", "miss")));
        Assert.Equal(1, metrics.Value("portico_cache_requests_total", site, ("outcome", "bypass")));
        // Compressed: the two misses and the POST's answer; never the hits.
        Assert.Equal(3, metrics.Value("portico_compression_responses_total", ("encoding", "gzip")));
        Assert.Equal(3 * text.Length, metrics.Value("portico_compression_input_bytes_total", ("encoding", "gzip")));
        Assert.Equal(0, metrics.Value("portico_cache_entries"));

        var lines = Array.Empty<string>();
        await Poll.UntilAsync(() => File.Exists(log) && (lines = File.ReadAllLines(log)).Length >= 5, "five access-log lines");
        Assert.Equal(["miss", "hit", "hit", "miss", "bypass"], lines.Take(5).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("cache").GetString()));

        var config = JsonDocument.Parse(await client.GetStringAsync($"http://127.0.0.1:{adminPort}/api/config", ct)).RootElement;
        Assert.Equal(1 << 20, config.GetProperty("cache").GetProperty("maxSizeBytes").GetInt64());
        Assert.Equal("gzip", config.GetProperty("routes").GetProperty("site").GetProperty("compression").GetProperty("encodings")[0].GetString());
        Assert.True(config.GetProperty("routes").GetProperty("site").GetProperty("cache").GetProperty("collapse").GetBoolean());
    }
}
