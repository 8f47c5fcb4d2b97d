using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// Clients that end their sending side. A client that writes its request and shuts down its
/// sending side (shutdown(SHUT_WR)) still reads: HTTP/1.1 lets the server answer it (RFC 9112
/// §9.6 leaves the closing to whoever is done), so it must get its response every time. A
/// client that hangs up for good is logged as 499 with a client reason and is never held
/// against the backend. GET runs on the fast path, POST on the full pipeline; the suite also
/// runs with PORTICO_TRANSPORT=sockets and PORTICO_FASTPATH=off (scripts/test.sh).
/// </summary>
public sealed class HalfCloseTests
{
    private const int Tries = 20;

    private static string Config(string url, string log) => $$"""
        accessLog: { output: "{{log}}" }
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app:
            destinations: [{{url}}]
            healthCheck:
              passive: { consecutiveFailures: 1, reactivateAfter: 1h }
        """;

    private static string LogPath() => Path.Combine(Directory.CreateTempSubdirectory("portico-log-").FullName, "access.log");

    private static async Task<JsonElement[]> AccessLogAsync(string path, int count)
    {
        string[] lines = [];
        await Poll.UntilAsync(() => File.Exists(path) && (lines = File.ReadAllLines(path)).Length >= count, $"{count} access-log lines");
        return lines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
    }

    private static byte[] Request(string method, TestProxy proxy) => Encoding.ASCII.GetBytes(method == "GET"
        ? $"GET /half HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n\r\n"
        : $"POST /half HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\nContent-Length: 5\r\n\r\nhello");

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task A_client_that_shuts_down_its_sending_side_gets_its_answer_every_time(string method)
    {
        // The backend answers a little later than the client's FIN arrives, so the proxy has
        // seen the end of the client's stream before it has anything to send.
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            await Task.Delay(50);
            ctx.Response.ContentLength = 8;
            await ctx.Response.WriteAsync("answered");
        });
        var log = LogPath();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, log));
        using var counters = new ProxyCounters(proxy, "portico.local");
        var ct = TestContext.Current.CancellationToken;

        var answered = 0;
        for (var i = 0; i < Tries; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, ct);
            await client.SendAsync(Request(method, proxy), ct);
            client.Shutdown(SocketShutdown.Send);
            var raw = await RawHttp.ReadToCloseAsync(client, TimeSpan.FromSeconds(15));
            if (raw.Status == 200 && raw.Text.EndsWith("answered", StringComparison.Ordinal))
            {
                answered++;
            }
        }

        Assert.Equal(Tries, answered);
        var lines = await AccessLogAsync(log, Tries);
        Assert.All(lines, l => Assert.Equal(200, l.GetProperty("status").GetInt32()));
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Null, l.GetProperty("reason").ValueKind));
        Assert.Equal(0, counters.Value("portico.local.responses"));
    }

    [Theory]
    [InlineData("POST")]
    public async Task A_client_that_hangs_up_before_the_answer_is_a_499_with_a_client_reason_and_no_backend_fault(string method)
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            arrived.TrySetResult();
            await Task.WhenAny(release.Task, Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted));
            await ctx.Response.WriteAsync("too late");
        });
        var log = LogPath();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, log));
        using var counters = new ProxyCounters(proxy, "portico.local");
        var ct = TestContext.Current.CancellationToken;

        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, ct);
            await client.SendAsync(Request(method, proxy), ct);
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(15), ct);

            // Gone for good: a reset, not a half-close.
            client.LingerState = new LingerOption(true, 0);
            client.Close();
        }

        var line = (await AccessLogAsync(log, 1))[0];
        release.TrySetResult();
        Assert.Equal(499, line.GetProperty("status").GetInt32());
        Assert.Equal("client_closed", line.GetProperty("reason").GetString());
        Assert.Equal(0, counters.Value("portico.local.responses"));
        Assert.True(proxy.State.TryGetCluster("app", out var cluster));
        Assert.Single(cluster.DestinationsState.AvailableDestinations);
        Assert.Empty(proxy.Logs.Messages(2002));
    }
}
