using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Cli;

/// <summary>
/// `portico run` with the access log on stdout: the console log and the access log share one
/// stream. A write to a pipe above PIPE_BUF (4096 bytes) is not atomic, so when a log shipper
/// reads slowly and the pipe fills, two writers' writes are cut where the pipe had room and
/// their pieces mixed; every line must still come out whole, one writer's or the other's.
/// They do because the runtime's stdout stream and Console.Out write under one lock (Console.Out's):
/// an access log writing to fd 1 through a stream of its own fails here, with about 150 of 4000
/// lines mixed.
/// </summary>
public sealed partial class StdoutTests
{
    private const int Requests = 2000;

    [Fact]
    public async Task Access_log_and_console_lines_come_out_whole_when_the_pipe_is_full()
    {
        var path = await CliTests.WriteConfigAsync($"""
            listeners:
              main: {"{"} address: "127.0.0.1:0" {"}"}
            admin:
              address: "127.0.0.1:0"
            accessLog:
              output: stdout
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: dead {"}"}
            clusters:
              dead: {"{"} destinations: [http://127.0.0.1:{FreePorts.Take()}] {"}"}
            """);
        await using var portico = PorticoProcess.StartSlowlyRead("run", "-c", path);
        var address = (await portico.WaitForListeningAsync())[0];
        using var client = new HttpClient { BaseAddress = address };
        var ct = TestContext.Current.CancellationToken;

        // Nothing listens at the destination: each request makes an access-log line and a console
        // warning, from two writers at once.
        var load = await Load.RunAsync(Requests, 16, TimeSpan.FromSeconds(120), async i =>
        {
            using var response = await client.GetAsync($"/r{i}", ct);
            return response.StatusCode == HttpStatusCode.BadGateway;
        });
        Assert.Equal(Requests, load.Ok);

        // The console logger drops what it still holds at exit, so the reader catches up first.
        await Poll.UntilAsync(
            () => portico.Stdout.Count(c => c == '\n') >= 2 * Requests,
            "every line to reach stdout", seconds: 60);
        portico.Signal("TERM");
        Assert.Equal(0, await portico.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var output = portico.Stdout;
        Assert.EndsWith("\n", output, StringComparison.Ordinal);
        var lines = output[..^1].Split('\n');
        var access = lines.Count(IsAccessLine);
        var console = lines.Count(IsConsoleLine);
        var neither = lines.Where(l => !IsAccessLine(l) && !IsConsoleLine(l)).ToList();
        Assert.True(neither.Count == 0, $"{neither.Count} of {lines.Length} lines are cut or mixed, e.g.:\n{string.Join("\n", neither.Take(4))}");
        Assert.Equal(Requests, access);
        Assert.True(console >= Requests, $"{console} console lines for {Requests} failed forwards");
    }

    private static bool IsConsoleLine(string line)
        => ConsoleLine().IsMatch(line) && !line.Contains("{\"time\":", StringComparison.Ordinal);

    private static bool IsAccessLine(string line)
    {
        if (!line.StartsWith("{\"time\":", StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.TryGetProperty("requestId", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): [\w.]+\[\d+\] ")]
    private static partial Regex ConsoleLine();
}
