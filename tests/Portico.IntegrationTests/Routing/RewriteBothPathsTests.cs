using System.Text.RegularExpressions;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// <summary>
/// A route whose `rewrite` is a `pathPrefix` alone runs on the fast path, which must give the
/// backend and the client what the full pipeline gives: the same bytes sent to a proxy with the
/// fast path and to one without reach the backend as the same target and Host, and come back
/// with the same status, `Location`, `Content-Location`, `Set-Cookie` and body.
/// </summary>
public sealed partial class RewriteBothPathsTests : IAsyncLifetime
{
    private const string Config = """
        accessLog: { output: "LOG" }
        routes:
          api: { match: { pathPrefix: /api }, cluster: echo, rewrite: { pathPrefix: /v2 } }
          strip: { match: { pathPrefix: /strip }, cluster: echo, rewrite: { pathPrefix: / } }
          long: { match: { pathPrefix: /l }, cluster: echo, rewrite: { pathPrefix: /a/much/longer/prefix/than/the/one/the/client/used } }
        clusters:
          echo: { destinations: [BACKEND] }
        """;

    private TestBackend _backend = null!;
    private TestProxy _fast = null!;
    private TestProxy _full = null!;
    private string _fastLog = null!;
    private string _fullLog = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TargetEchoBackend.StartAsync();
        var logs = Directory.CreateTempSubdirectory("portico-rewrite-").FullName;
        (_fastLog, _fullLog) = (Path.Combine(logs, "fast.log"), Path.Combine(logs, "full.log"));
        _fast = await TestProxy.StartAsync(Config.Replace("BACKEND", _backend.Url, StringComparison.Ordinal).Replace("LOG", _fastLog, StringComparison.Ordinal), fastPath: true);
        _full = await TestProxy.StartAsync(Config.Replace("BACKEND", _backend.Url, StringComparison.Ordinal).Replace("LOG", _fullLog, StringComparison.Ordinal), fastPath: false);
    }

    public async ValueTask DisposeAsync()
    {
        await _fast.DisposeAsync();
        await _full.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/users?id=1", "/v2/users?id=1", false)]
    [InlineData("/api", "/v2", false)]
    [InlineData("/api?x=1&y", "/v2?x=1&y", false)]
    [InlineData("/API/Users", "/v2/Users", false)]
    [InlineData("/strip", "/", false)]
    [InlineData("/strip?q=%zz", "/?q=%zz", false)]
    [InlineData("/strip/a/b;c=d", "/a/b;c=d", false)]
    [InlineData("/l/x", "/a/much/longer/prefix/than/the/one/the/client/used/x", false)]
    [InlineData("/api/login", "/v2/login", true)]
    [InlineData("/l/in", "/a/much/longer/prefix/than/the/one/the/client/used/in", true)]
    public async Task The_fast_path_rewrites_as_the_full_pipeline_does(string target, string sent, bool redirecting)
    {
        using var counters = new ProxyCounters(_fast, "portico.fastpath.");
        var request = $"GET {target} HTTP/1.1\r\nHost: site.example\r\n{(redirecting ? "X-Answer-Redirect: 1\r\n" : "")}Connection: close\r\n\r\n";

        var fast = await RawHttp.SendAsync(_fast.Address, request);
        var full = await RawHttp.SendAsync(_full.Address, request);

        Assert.Equal(200, full.Status);
        Assert.EndsWith($"\r\n\r\n{sent}\nsite.example", full.Text, StringComparison.Ordinal);
        Assert.Equal(Compared(full.Text), Compared(fast.Text));
        if (redirecting)
        {
            Assert.Contains($"\r\nLocation: http://site.example{target}/done\r\n", fast.Text, StringComparison.Ordinal);
            Assert.Contains($"\r\nSet-Cookie: sid=1; Path={target}; HttpOnly\r\n", fast.Text, StringComparison.Ordinal);
        }

        if (Environment.GetEnvironmentVariable("PORTICO_FASTPATH") != "off")
        {
            Assert.Equal(1, counters.Value("portico.fastpath.requests"));
        }
    }

    [Theory]
    [InlineData("/api/a%2Fb", "/v2/a%2Fb", "target")]
    [InlineData("/api/a{b}", "/v2/a%7Bb%7D", "rewrite")]
    [InlineData("/api/a\"b", "/v2/a%22b", "rewrite")]
    public async Task A_target_the_full_pipeline_would_send_otherwise_is_handed_over(string target, string sent, string reason)
    {
        using var counters = new ProxyCounters(_fast, "portico.fastpath.");
        var request = $"GET {target} HTTP/1.1\r\nHost: site.example\r\nConnection: close\r\n\r\n";

        var fast = await RawHttp.SendAsync(_fast.Address, request);
        var full = await RawHttp.SendAsync(_full.Address, request);

        Assert.EndsWith($"\r\n\r\n{sent}\nsite.example", full.Text, StringComparison.Ordinal);
        Assert.Equal(Compared(full.Text), Compared(fast.Text));
        if (Environment.GetEnvironmentVariable("PORTICO_FASTPATH") != "off")
        {
            Assert.Equal(1, counters.Value("portico.fastpath.handovers", ("reason", reason)));
        }
    }

    [Fact]
    public async Task The_access_log_has_the_rewritten_target_on_both_paths()
    {
        var request = "GET /api/users?id=1 HTTP/1.1\r\nHost: site.example\r\nConnection: close\r\n\r\n";

        await RawHttp.SendAsync(_fast.Address, request);
        await RawHttp.SendAsync(_full.Address, request);

        foreach (var log in new[] { _fastLog, _fullLog })
        {
            string[] lines = [];
            await Poll.UntilAsync(() => File.Exists(log) && (lines = File.ReadAllLines(log)).Length >= 1, $"an access-log line in {log}");
            using var line = System.Text.Json.JsonDocument.Parse(lines.Single());
            Assert.Equal("/api/users", line.RootElement.GetProperty("path").GetString());
            Assert.Equal("/v2/users?id=1", line.RootElement.GetProperty("rewritten").GetString());
        }
    }

    /// <summary>The status line, the fields a rewrite turns back, and the body.</summary>
    private static string Compared(string response)
    {
        var head = response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        var lines = head.Split("\r\n");
        var kept = lines.Skip(1).Where(l => TurnedBack().IsMatch(l));
        return string.Join("\n", kept.Prepend(lines[0]).Append(response[(head.Length + 4)..]));
    }

    [GeneratedRegex("^(Location|Content-Location|Set-Cookie):", RegexOptions.IgnoreCase)]
    private static partial Regex TurnedBack();
}
