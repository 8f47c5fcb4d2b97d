using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Portico.IntegrationTests.Cli;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// A process out of file descriptors cannot accept: the event-loop transport leaves the
/// connections in the backlog, says so once in the log (as nginx logs accept4() failing), looks
/// again every 100 ms rather than spinning, and accepts again, saying so, once descriptors are
/// free. The real process, its limit lowered from outside with prlimit(1).
/// </summary>
public sealed class AcceptLimitTests
{
    [Fact]
    public async Task Out_of_descriptors_the_listener_says_so_once_and_accepts_again_when_they_are_free()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("PORTICO_TRANSPORT"), "sockets", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Skip("the event-loop transport's accept; with PORTICO_TRANSPORT=sockets Kestrel's own socket transport accepts");
        }

        await using var backend = await TestBackend.StartAsync("b");
        var config = await CliTests.WriteConfigAsync($$"""
            listeners:
              main: { address: "127.0.0.1:0" }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        await using var portico = PorticoProcess.Start("run", "-c", config);
        var proxy = (await portico.WaitForListeningAsync())[0];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal("b", await client.GetStringAsync(proxy, ct));

        // Room for a few more descriptors only (the soft limit: raising it back needs no privilege),
        // then more connections than that.
        var soft = File.ReadLines($"/proc/{portico.Pid}/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        var open = Directory.GetFiles($"/proc/{portico.Pid}/fd").Length;
        await LimitAsync(portico.Pid, (open + 8).ToString(CultureInfo.InvariantCulture));
        var held = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var connection = new TcpClient();
                held.Add(connection);
                await connection.ConnectAsync(proxy.Host, proxy.Port, ct);
            }

            await Poll.UntilAsync(() => portico.Stdout.Contains("cannot accept connections, the process is out of file descriptors", StringComparison.Ordinal), "the listener to log it cannot accept");
        }
        finally
        {
            foreach (var connection in held)
            {
                connection.Dispose();
            }

            await LimitAsync(portico.Pid, soft);
        }

        Assert.Equal("b", await client.GetStringAsync(proxy, ct));
        await Poll.UntilAsync(() => portico.Stdout.Contains("accepting connections again", StringComparison.Ordinal), "the listener to log it accepts again");
        // Once each way, not once per retry (the connections were held for many retries): a
        // descriptor freed meanwhile may let one accept through, and the pause then starts again.
        var (paused, resumed) = (Count(portico.Stdout, "cannot accept connections"), Count(portico.Stdout, "accepting connections again"));
        Assert.True(paused == resumed && paused <= 3, $"{paused} paused, {resumed} resumed:\n{portico.Stdout}");
    }

    private static async Task LimitAsync(int pid, string soft)
    {
        using var prlimit = Process.Start(new ProcessStartInfo("prlimit", ["--pid", pid.ToString(CultureInfo.InvariantCulture), $"--nofile={soft}:"]) { RedirectStandardError = true })!;
        var stderr = await prlimit.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await prlimit.WaitForExitAsync(limit.Token);
        Assert.True(prlimit.ExitCode == 0, $"prlimit: {stderr}");
    }

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
