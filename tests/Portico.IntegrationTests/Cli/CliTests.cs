using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Cli;

public sealed class CliTests
{
    internal static async Task<string> WriteConfigAsync(string yaml)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("portico-cli-").FullName, "portico.yaml");
        await File.WriteAllTextAsync(path, yaml);
        return path;
    }

    private static string Config(int port, string backendUrl, string proxyExtra = "", string gracePeriod = "10s") => $"""
        listeners:
          main: {"{"} address: "127.0.0.1:{port}" {"}"}
        admin:
          address: "127.0.0.1:0"
        accessLog:
          enabled: false
        proxy:
          shutdownGracePeriod: {gracePeriod}
        {proxyExtra}
        routes:
          all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
        clusters:
          app: {"{"} destinations: [{backendUrl}] {"}"}
        """;

    /// <summary>Runs `portico run` on a file it must refuse: exit code 1 and no stack trace anywhere; returns stderr.</summary>
    private static async Task<string> RefusedAsync(string path)
    {
        var (code, stdout, stderr) = await PorticoProcess.RunAsync("run", "-c", path);
        Assert.Equal(1, code);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        return stderr;
    }

    [Fact]
    public async Task Version_prints_name_and_version()
    {
        var (code, stdout, _) = await PorticoProcess.RunAsync("version");

        Assert.Equal(0, code);
        Assert.Matches(@"^portico \d+\.\d+\.\d+ \(\.NET 10\.", stdout);
    }

    [Fact]
    public async Task Schema_prints_the_shipped_json_schema()
    {
        var shipped = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "schema", "portico.schema.json"), TestContext.Current.CancellationToken);

        var (code, stdout, stderr) = await PorticoProcess.RunAsync("schema");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Equal(shipped, stdout);
    }

    [Fact]
    public async Task Check_accepts_a_valid_file_with_a_one_line_summary()
    {
        var path = await WriteConfigAsync(Config(8080, "http://127.0.0.1:9001"));

        var (code, stdout, stderr) = await PorticoProcess.RunAsync("check", "-c", path);

        Assert.Equal(0, code);
        Assert.Equal($"{path}: OK: 1 listener(s), 1 route(s), 1 cluster(s), 1 destination(s)\n", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Check_refuses_a_bad_file_naming_file_line_key_and_reason_for_every_problem()
    {
        var path = await WriteConfigAsync("""
            listeners:
              main: { address: "127.0.0.1:8080" }
            routes:
              api: { match: { pathPrefix: /api, pathRegex: "([" }, cluster: missing }
            clusters:
              app:
                destinatons: [http://127.0.0.1:9001]
            """);

        var (code, stdout, stderr) = await PorticoProcess.RunAsync("check", "-c", path);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        var lines = stderr.TrimEnd().Split('\n');
        Assert.Equal(
            [
                $"{path}:4: routes.api.match.pathRegex: '([' is not a valid regular expression: Invalid pattern '([' at offset 2. Unterminated [] set.",
                $"{path}:4: routes.api.cluster: cluster 'missing' is not defined (defined: app)",
                $"{path}:6: clusters.app.destinations: required: a list of backend URLs, e.g. [http://127.0.0.1:9001] ([] when discovery finds them all)",
                $"{path}:7: clusters.app.destinatons: unknown key; did you mean 'destinations'?",
                $"{path}: 4 error(s)",
            ],
            lines);
    }

    [Fact]
    public async Task Run_refuses_to_start_when_a_listener_port_is_in_use()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var path = await WriteConfigAsync(Config(port, "http://127.0.0.1:9001"));

        Assert.Equal($"portico: {path}: cannot start: listener 'main' (127.0.0.1:{port}): the address is in use by another process\n", await RefusedAsync(path));
    }

    [Fact]
    public async Task Run_names_a_listener_address_that_is_not_on_this_host_in_one_line()
    {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a host.
        var path = await WriteConfigAsync(Config(FreePorts.Take(), "http://127.0.0.1:9001").Replace("127.0.0.1:", "192.0.2.1:").Replace("address: \"192.0.2.1:0\"", "address: \"127.0.0.1:0\""));

        Assert.Matches($"^portico: {System.Text.RegularExpressions.Regex.Escape(path)}: cannot start: listener 'main' \\(192\\.0\\.2\\.1:\\d+\\): 192\\.0\\.2\\.1 is not an address of this host\n$", await RefusedAsync(path));
    }

    [Fact]
    public async Task Check_and_run_refuse_listeners_whose_addresses_overlap()
    {
        var port = FreePorts.Take();
        var path = await WriteConfigAsync(Config(port, "http://127.0.0.1:9001").Replace(
            $"main: {{ address: \"127.0.0.1:{port}\" }}", $"main: {{ address: \"127.0.0.1:{port}\" }}\n  public: {{ address: \"0.0.0.0:{port}\" }}"));
        var line = $"{path}:3: listeners.public.address: 0.0.0.0:{port} overlaps listener 'main' (127.0.0.1:{port}): a wildcard address takes the port on every address, so the second bind would fail";

        var check = await PorticoProcess.RunAsync("check", "-c", path);

        Assert.Equal(1, check.ExitCode);
        Assert.Contains(line, check.Stderr + check.Stdout);
        Assert.Equal($"{line}\nportico: {path}: 1 error(s); not started\n", await RefusedAsync(path));
    }

    [Fact]
    public async Task Run_refuses_an_invalid_file_and_names_the_problem()
    {
        var path = await WriteConfigAsync("listeners: {}\nroutes: {}\nclusters: {}\nextra: 1\n");

        var (code, _, stderr) = await PorticoProcess.RunAsync("run", "-c", path);

        Assert.Equal(1, code);
        Assert.Contains($"{path}:4: extra: unknown key (allowed here: accessLog, acme, admin, auth, cache, clusters, errorPages, headers, limits, listeners, proxy, redis, routes, tracing, waf)", stderr);
        Assert.Contains($"portico: {path}: 1 error(s); not started", stderr);
    }

    [Fact]
    public async Task Run_refuses_to_start_when_the_access_log_cannot_be_written()
    {
        var path = await WriteConfigAsync(Config(0, "http://127.0.0.1:9001").Replace("accessLog:\n  enabled: false", "accessLog:\n  output: /nonexistent-dir/access.log"));

        var (code, _, stderr) = await PorticoProcess.RunAsync("run", "-c", path);

        Assert.Equal(1, code);
        Assert.Contains($"portico: {path}: cannot start: Could not find a part of the path '/nonexistent-dir/access.log'.", stderr);
    }

    [Fact]
    public async Task Sigterm_drains_the_in_flight_request_then_exits_cleanly()
    {
        // The backend answers only once the process has begun shutting down, so the request is
        // in flight through the whole drain however slowly the signal arrives.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("slow", async ctx =>
        {
            await release.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await ctx.Response.WriteAsync("finished");
        });
        // A grace period far longer than the drain needs: exiting once the request is done must show
        // apart from waiting the period out, with room for a loaded machine's slow process exit.
        await using var portico = PorticoProcess.Start("run", "-c", await WriteConfigAsync(Config(0, backend.Url, gracePeriod: "120s")));
        var port = (await portico.WaitForListeningAsync())[0].Port;
        using var client = new HttpClient();

        var inFlight = client.GetStringAsync($"http://127.0.0.1:{port}/slow", TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => backend.Count == 1, "the request to reach the backend");
        var watch = Stopwatch.StartNew();
        portico.Signal("TERM");
        await Poll.UntilAsync(() => portico.Stdout.Contains("Application is shutting down", StringComparison.Ordinal), "the process to begin shutting down");
        Assert.False(portico.HasExited, "the process exited with a request in flight");
        release.SetResult();

        Assert.Equal("finished", await inFlight);
        Assert.Equal(0, await portico.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"shutdown took {watch.Elapsed}");
    }

    [Fact]
    public async Task Sighup_reloads_the_config_and_the_process_keeps_serving()
    {
        // A process started with SIGHUP ignored (under nohup) passes that on to its children, and
        // .NET then leaves the signal ignored in Portico too: no reload can be asked for that way.
        var ignored = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        if ((Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & 1) != 0)
        {
            Assert.Skip("the test runner ignores SIGHUP (started under nohup?), and so would the Portico it starts");
        }

        await using var backend = await TestBackend.StartAsync("b");
        var path = await WriteConfigAsync(Config(0, backend.Url));
        await using var portico = PorticoProcess.Start("run", "-c", path);
        var port = (await portico.WaitForListeningAsync())[0].Port;
        await Poll.UntilAsync(() => portico.Stdout.Contains("config revision 1 applied", StringComparison.Ordinal), "the first config");

        portico.Signal("HUP");

        await Poll.UntilAsync(() => portico.Stdout.Contains("config revision 2 applied", StringComparison.Ordinal), "the reload SIGHUP asks for");
        Assert.Contains($" SIGHUP: reloading {Path.GetFullPath(path)} (the file is unchanged since the last load)\n", portico.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("changed; reloading", portico.Stdout, StringComparison.Ordinal);
        using var client = new HttpClient();
        Assert.Equal("b", await client.GetStringAsync($"http://127.0.0.1:{port}/", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Built_in_demo_starts_with_no_config_and_balances_over_its_backends()
    {
        var cwd = Directory.CreateTempSubdirectory("portico-demo-").FullName;
        var previous = Environment.CurrentDirectory;
        // The banner names the port, so it is chosen here rather than bound as 0 and read back.
        var port = 0;
        await using var portico = await FreePorts.RetryAsync(async () =>
        {
            port = FreePorts.Take();
            var started = PorticoProcess.Start("run", "--demo-listen", $"127.0.0.1:{port}", "--demo-admin", "127.0.0.1:0");
            try
            {
                await started.WaitForPortAsync(port);
                return started;
            }
            catch
            {
                await started.DisposeAsync();
                throw;
            }
        });
        using var client = new HttpClient();

        // Round robin reaches all three in three requests once they are healthy; a loaded machine
        // can time out the first active probe (2 s) and leave a backend out until the next one (5 s).
        var backends = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var sent = 0; sent < 200 && backends.Count < 3 && DateTime.UtcNow < deadline; sent++)
        {
            if (sent >= 6)
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }

            var body = await client.GetStringAsync($"http://127.0.0.1:{port}/hello", TestContext.Current.CancellationToken);
            backends.Add(System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("backend").GetString()!);
        }

        Assert.Equal(["backend-1", "backend-2", "backend-3"], backends.Order());
        await Poll.UntilAsync(() => portico.Stdout.Contains("Try:", StringComparison.Ordinal), "the demo banner");
        Assert.Contains($"curl http://127.0.0.1:{port}/hello", portico.Stdout);
        Assert.Contains("Run your own: portico run -c examples/quickstart.yaml", portico.Stdout);
        Assert.Equal(previous, Environment.CurrentDirectory);
        Directory.Delete(cwd);
    }

    [Fact]
    public async Task The_quickstart_example_runs_as_given_and_answers_through_the_proxy()
    {
        // The file the demo's banner names, unchanged: its listener and its stand-in backend as written.
        var root = RepositoryRoot();
        await using var portico = PorticoProcess.Start("run", "-c", Path.Combine(root, "examples", "quickstart.yaml"));
        await portico.WaitForPortAsync(8088);
        using var client = new HttpClient();

        var status = await client.GetStringAsync("http://127.0.0.1:8088/api/status", TestContext.Current.CancellationToken);

        Assert.Equal("examples/quickstart.yaml", Path.GetRelativePath(root, System.Text.Json.JsonDocument.Parse(status).RootElement.GetProperty("source").GetString()!));
    }

    [Fact]
    public async Task The_process_serves_the_embedded_dashboard_and_blocks_an_attack_through_modsecurity()
    {
        // What a trimmed or single-file build could lose and an in-process test cannot see: the
        // dashboard's files embedded as resources, and libmodsecurity reached through P/Invoke.
        // Run with PORTICO_EXECUTABLE set, this checks the published binary (scripts/publish.sh).
        await using var backend = await TestBackend.StartAsync("b");
        var audit = Path.Combine(Directory.CreateTempSubdirectory("portico-waf-").FullName, "audit.log");
        var path = await WriteConfigAsync(Config(0, backend.Url, proxyExtra: $"waf: {{ auditLog: {audit} }}").Replace(
            "cluster: app }", "cluster: app, waf: block }", StringComparison.Ordinal));
        await using var portico = PorticoProcess.Start("run", "-c", path);
        var bound = await portico.WaitForListeningAsync(2);
        using var client = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var page = await client.GetAsync(new Uri(bound[1], "/"), ct);
        using var script = await client.GetAsync(new Uri(bound[1], "/dashboard.js"), ct);
        using var attack = await client.GetAsync(new Uri(bound[0], "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"), ct);
        var plain = await client.GetStringAsync(new Uri(bound[0], "/"), ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<title>Portico dashboard</title>", await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, attack.StatusCode);
        Assert.Equal("b", plain);
        Assert.Equal(["/"], backend.Requests.Select(r => r.PathAndQuery));
    }

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string source = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", ".."));
}
