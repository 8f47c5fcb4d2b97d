using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A private Debian HAProxy in TCP mode on a <see cref="FreePorts"/> port, in front of several
/// Portico instances, as docs/operations.md deploys it: round robin over the instances, an HTTP
/// check of each one's admin `/readyz` every 100 ms (down after 2 failures, up after 2 passes; a
/// check may take 2 s), and a refused connection retried on another instance (`retries`, `option
/// redispatch`). TCP mode passes TLS and HTTP/2 through untouched; a client's keep-alive
/// connection stays on the instance it was first sent to. Its stats socket tells the test which
/// instances it sees up.
/// </summary>
internal sealed class HaproxyFront : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/haproxy";
    private readonly string _folder;
    private readonly Process _process;

    private HaproxyFront(int port, string folder, Process process)
    {
        Port = port;
        _folder = folder;
        _process = process;
    }

    /// <summary>The front's port on 127.0.0.1, where clients connect.</summary>
    public int Port { get; }

    /// <summary>What HAProxy printed (warnings, server state changes), for failure messages.</summary>
    public ConcurrentQueue<string> Output { get; } = new();

    public static bool Installed => File.Exists(Executable);

    /// <summary>Starts HAProxy with one server per instance: its proxy port and the admin port its check goes to.</summary>
    public static Task<HaproxyFront> StartAsync(IReadOnlyList<(string Name, int Port, int AdminPort)> servers)
    {
        Assert.True(Installed, $"{Executable} is not installed; scripts/install-test-deps.sh installs Debian's haproxy");
        return FreePorts.RetryAsync(async () =>
        {
            var port = FreePorts.Take();
            var folder = Directory.CreateTempSubdirectory("portico-haproxy-").FullName;
            var config = Path.Combine(folder, "haproxy.cfg");
            await File.WriteAllTextAsync(config, Config(port, Path.Combine(folder, "stats.sock"), servers));
            var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in (string[])["-db", "-f", config])
            {
                info.ArgumentList.Add(arg);
            }

            var front = new HaproxyFront(port, folder, Process.Start(info)!);
            front._process.OutputDataReceived += (_, e) => front.Output.Enqueue(e.Data ?? "");
            front._process.ErrorDataReceived += (_, e) => front.Output.Enqueue(e.Data ?? "");
            front._process.BeginOutputReadLine();
            front._process.BeginErrorReadLine();
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    if (front._process.HasExited)
                    {
                        await front._process.WaitForExitAsync();
                        if (front.Output.Any(l => l.Contains("cannot bind socket", StringComparison.Ordinal)))
                        {
                            throw new SocketException((int)SocketError.AddressAlreadyInUse);
                        }

                        Assert.Fail($"haproxy exited ({front._process.ExitCode}): {string.Join('\n', front.Output)}");
                    }

                    return File.Exists(Path.Combine(folder, "stats.sock")) && (await front.StatesAsync()).Count == servers.Count;
                }, "haproxy to start", seconds: 20);
                return front;
            }
            catch
            {
                await front.DisposeAsync();
                throw;
            }
        });
    }

    /// <summary>Each server's state as HAProxy's checks see it: "UP", "DOWN", "UP 1/2" (going down), "DOWN 1/2" (coming up) ...</summary>
    public async Task<IReadOnlyDictionary<string, string>> StatesAsync()
    {
        // "show stat" answers CSV with a header line "# pxname,svname,...,status,..." and closes.
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(_folder, "stats.sock")));
        await socket.SendAsync("show stat\n"u8.ToArray());
        var text = new StringBuilder();
        var buffer = new byte[8192];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].TrimStart('#', ' ').Split(',');
        var (proxy, server, status) = (Array.IndexOf(header, "pxname"), Array.IndexOf(header, "svname"), Array.IndexOf(header, "status"));
        return lines.Skip(1).Select(l => l.Split(','))
            .Where(f => f[proxy] == "portico" && f[server] is not ("FRONTEND" or "BACKEND"))
            .ToDictionary(f => f[server], f => f[status]);
    }

    /// <summary>Waits until HAProxy's checks see <paramref name="server"/> in <paramref name="state"/> ("UP" or "DOWN").</summary>
    public Task WaitForAsync(string server, string state, int seconds = 20)
        => Poll.UntilAsync(async () => (await StatesAsync()).TryGetValue(server, out var s) && s == state, $"haproxy to see {server} {state}", seconds);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// The front. `retries 3` with `option redispatch 1`: a connection an instance refuses (it was
    /// just killed, or stopped listening at the end of a drain) is tried again on another instance
    /// at once, so no client sees the refusal; what TCP mode cannot retry is a connection already
    /// established. `timeout check` apart from `inter`: without it a check times out after `inter`
    /// (100 ms here), and a loaded machine's slower /readyz answer took both instances down at
    /// once; a drain's 503 and a dead instance's refusal still come at once. No `on-marked-down
    /// shutdown-sessions`: a draining instance is marked down as soon as its /readyz answers 503,
    /// and that option would then close its connections, requests in flight on them included.
    /// </summary>
    private static string Config(int port, string socket, IReadOnlyList<(string Name, int Port, int AdminPort)> servers)
    {
        var lines = new StringBuilder($"""
            global
                maxconn 4000
                stats socket {socket} mode 600 level admin
            defaults
                mode tcp
                timeout connect 1s
                timeout client 30s
                timeout server 30s
                timeout check 2s
                retries 3
                option redispatch 1
            frontend front
                bind 127.0.0.1:{port}
                default_backend portico
            backend portico
                balance roundrobin
                option httpchk GET /readyz
                http-check expect status 200
                default-server inter 100ms fastinter 100ms downinter 100ms fall 2 rise 2

            """);
        foreach (var (name, serverPort, adminPort) in servers)
        {
            lines.Append(CultureInfo.InvariantCulture, $"    server {name} 127.0.0.1:{serverPort} check port {adminPort}\n");
        }

        return lines.ToString();
    }
}
