using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Observability;

public sealed class AccessLogTests
{
    private static string LogPath() => Path.Combine(Directory.CreateTempSubdirectory("portico-log-").FullName, "access.log");

    private static async Task<string[]> LinesAsync(string path, int count)
    {
        string[] lines = [];
        await Poll.UntilAsync(() => File.Exists(path) && (lines = File.ReadAllLines(path)).Length >= count, $"{count} access-log lines");
        return lines;
    }

    [Fact]
    public async Task Json_lines_carry_the_request_its_outcome_and_never_credentials()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync("hello"));
        var log = LogPath();
        await using var proxy = await TestProxy.StartAsync($"""
            accessLog: {"{"} output: "{log}" {"}"}
            routes:
              api: {"{"} match: {"{"} pathPrefix: /api {"}"}, cluster: app {"}"}
              down: {"{"} match: {"{"} pathPrefix: /down {"}"}, cluster: dead {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
              dead: {"{"} destinations: [http://127.0.0.1:{FreePorts.Take()}] {"}"}
            """);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/items?secret=1");
        request.Headers.Add("Authorization", "Bearer top-secret-token");
        request.Headers.Add("Cookie", "session=cookie-secret");
        request.Headers.Add("X-Request-Id", "req-42");
        request.Headers.Add("User-Agent", "tests/1.0");
        var ct = TestContext.Current.CancellationToken;

        await proxy.Client.SendAsync(request, ct);
        await proxy.Client.GetAsync("/down", ct);
        await proxy.Client.GetAsync("/nowhere", ct);

        var lines = await LinesAsync(log, 3);
        Assert.DoesNotContain("top-secret-token", File.ReadAllText(log));
        Assert.DoesNotContain("cookie-secret", File.ReadAllText(log));
        var ok = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal("req-42", ok.GetProperty("requestId").GetString());
        Assert.Equal("127.0.0.1", ok.GetProperty("client").GetString());
        Assert.Equal("GET", ok.GetProperty("method").GetString());
        Assert.Equal(proxy.Address.Authority, ok.GetProperty("host").GetString());
        Assert.Equal("/api/items", ok.GetProperty("path").GetString());
        Assert.Equal(200, ok.GetProperty("status").GetInt32());
        Assert.Equal(5, ok.GetProperty("bytesOut").GetInt64());
        Assert.Equal("api", ok.GetProperty("route").GetString());
        Assert.Equal("app", ok.GetProperty("cluster").GetString());
        Assert.Equal(backend.Url + "/", ok.GetProperty("upstream").GetString());
        Assert.True(ok.GetProperty("upstreamTime").GetDouble() > 0);
        Assert.True(ok.GetProperty("duration").GetDouble() >= ok.GetProperty("upstreamTime").GetDouble());
        Assert.Equal(JsonValueKind.Null, ok.GetProperty("reason").ValueKind);
        Assert.Equal("tests/1.0", ok.GetProperty("userAgent").GetString());

        var down = JsonDocument.Parse(lines[1]).RootElement;
        Assert.Equal(502, down.GetProperty("status").GetInt32());
        Assert.Equal("upstream_unreachable", down.GetProperty("reason").GetString());
        var none = JsonDocument.Parse(lines[2]).RootElement;
        Assert.Equal(404, none.GetProperty("status").GetInt32());
        Assert.Equal("no_route", none.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("route").ValueKind);
    }

    [Fact]
    public async Task Combined_format_matches_what_log_tools_expect()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync("hello"));
        var log = LogPath();
        await using var proxy = await TestProxy.StartAsync($"""
            accessLog: {"{"} output: "{log}", format: combined {"}"}
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/page?q=1");
        request.Headers.TryAddWithoutValidation("Referer", "http://example.com/\"quoted\"");
        request.Headers.Add("User-Agent", "tests/1.0");

        await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        var line = (await LinesAsync(log, 1))[0];
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(line, """^127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET /page\?q=1 HTTP/1\.1" 200 5 "http://example\.com/\\"quoted\\"" "tests/1\.0"$"""), line);
    }

    [Fact]
    public async Task A_file_log_is_rotated_by_size_keeping_the_configured_number()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var log = LogPath();
        await using var proxy = await TestProxy.StartAsync($"""
            accessLog: {"{"} output: "{log}", maxSize: 4KiB, keep: 2 {"}"}
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """);

        for (var i = 0; i < 120; i++)
        {
            await proxy.Client.GetAsync($"/r{i}", TestContext.Current.CancellationToken);
        }

        // The writer works behind the requests, so it may still be rotating (FILE.1 -> FILE.2, then
        // FILE -> FILE.1) while these run: a file can be missing for a moment, which is not a failure.
        await Poll.UntilAsync(
            () => new[] { log, log + ".1" }.Any(f => ReadOrEmpty(f).Contains("\"/r119\"", StringComparison.Ordinal)),
            "the last request's line in the current or the newest rotated file");
        await Poll.UntilAsync(() => File.Exists(log + ".2") && LengthOrZero(log + ".1") >= 4096, "a second rotation, of a full file");
        Assert.False(File.Exists(log + ".3"));
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    private static long LengthOrZero(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }
}
