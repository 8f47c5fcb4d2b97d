using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Cli;

/// <summary>
/// A shutdown that outlasts its grace period, in the real process: requests still waiting on a
/// backend that never answers are cut off, the process says how many, writes out its access log
/// and exits 0; what an operator reads along the way is one line per event.
/// </summary>
public sealed class ShutdownTests
{
    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public async Task Sigterm_past_the_grace_period_cuts_off_the_rest_says_how_many_flushes_the_access_log_and_exits_0(string fastPath)
    {
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            if (ctx.Request.Path.StartsWithSegments("/stuck"))
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }

            await ctx.Response.WriteAsync("done");
        });
        var folder = Directory.CreateTempSubdirectory("portico-shutdown-").FullName;
        var home = Directory.CreateDirectory(Path.Combine(folder, "home")).FullName;
        var accessLog = Path.Combine(folder, "access.log");
        var config = await CliTests.WriteConfigAsync($$"""
            listeners:
              main: { address: "127.0.0.1:0" }
            admin: { address: "127.0.0.1:0" }
            accessLog: { output: {{accessLog}} }
            proxy: { shutdownGracePeriod: 1s }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);

        // A fresh home, as a new container has: nothing may be written there or warned about it.
        await using var portico = PorticoProcess.StartWith(new Dictionary<string, string> { ["HOME"] = home, ["PORTICO_FASTPATH"] = fastPath }, "run", "-c", config);
        var port = (await portico.WaitForListeningAsync())[0].Port;
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("done", await client.GetStringAsync($"http://127.0.0.1:{port}/ok/{i}", TestContext.Current.CancellationToken));
        }

        var stuck = Enumerable.Range(0, 3).Select(i => client.GetAsync($"http://127.0.0.1:{port}/stuck/{i}", TestContext.Current.CancellationToken)).ToArray();
        await Poll.UntilAsync(() => backend.Count == 8, "the three stuck requests to reach the backend");

        portico.Signal("TERM");

        Assert.Equal(0, await portico.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        foreach (var request in stuck)
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => request);
        }

        var lines = portico.Stdout.Split('\n');
        Assert.Equal("", portico.Stderr);
        foreach (var once in (string[])[
            " Application started. Press Ctrl+C to shut down.",
            " Application is shutting down...",
            " shutting down: 3 request(s) in flight get up to 1s to finish"])
        {
            Assert.True(lines.Count(l => l.EndsWith(once, StringComparison.Ordinal)) == 1, $"not once: '{once}' in\n{portico.Stdout}");
        }

        // The count is read a moment before the server aborts what is left; on a loaded machine
        // the reading can come late enough to miss a request the abort already ended.
        Assert.Single(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @" shutdown grace period of 1s is over: cut off [1-3] request\(s\) still in flight$"));

        Assert.DoesNotContain("DataProtection", portico.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(home));

        // Every line queued before the exit is in the file; the full path also records each cut-off
        // request (499). The fast path does not yet notice a client connection aborted while it
        // waits on the backend, so it has no line for those.
        var logged = File.ReadAllLines(accessLog).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(5, logged.Count(l => l.GetProperty("path").GetString()!.StartsWith("/ok/", StringComparison.Ordinal) && l.GetProperty("status").GetInt32() == 200));
        if (fastPath == "off")
        {
            Assert.Equal(3, logged.Count(l => l.GetProperty("path").GetString()!.StartsWith("/stuck/", StringComparison.Ordinal) && l.GetProperty("status").GetInt32() == 499));
        }
    }
}
