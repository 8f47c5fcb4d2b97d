using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Forwarding;

/// <summary>
/// Backends and clients that misbehave, each under a bounded load with a count of failed
/// requests: a backend that accepts and never answers, one that resets, one that answers
/// with bytes that are not HTTP, one that trickles its answer, beside a good one; clients that
/// abort mid-upload and mid-download. (A backend killed under load: HealthAndRetryTests; a
/// client that hangs up before the answer: HalfCloseTests; one that stalls its body:
/// RequestFaultTests.)
/// </summary>
public sealed class FaultTests
{
    private const int Requests = 200;

    [Theory]
    [InlineData(Fault.Resets, true)]
    [InlineData(Fault.Resets, false)]
    [InlineData(Fault.Malformed, true)]
    [InlineData(Fault.Malformed, false)]
    [InlineData(Fault.NeverAnswers, true)]
    [InlineData(Fault.NeverAnswers, false)]
    [InlineData(Fault.Trickles, true)]
    [InlineData(Fault.Trickles, false)]
    public async Task A_faulty_backend_beside_a_good_one_under_load(Fault fault, bool fastPath)
    {
        await using var good = await TestBackend.StartAsync("good");
        await using var bad = new FaultBackend(fault);
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app:
                destinations: [{{good.Url}}, {{bad.Url}}]
                retries: 1
                timeout: 1s
                healthCheck:
                  passive: { consecutiveFailures: 1, reactivateAfter: 1h }
            """, fastPath);

        var result = await Load.RunAsync(Requests, workers: 4, TimeSpan.FromSeconds(90), async i =>
        {
            using var response = await proxy.Client.GetAsync($"/item/{i}", TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            return response.StatusCode == HttpStatusCode.OK && body is "good" or FaultBackend.TrickledBody;
        });

        TestContext.Current.TestOutputHelper?.WriteLine($"{fault}, fast path {fastPath}: {result.Failed} of {result.Total} failed; the faulty backend accepted {bad.Accepted} connection(s)");
        Assert.Equal(Requests, result.Total);
        Assert.True(bad.Accepted > 0, "the faulty backend was never tried");

        // Every fault is retried on the good one, a backend that says nothing once the cluster's
        // timeout has passed (issue 24: no failed idempotent request while a backend is up).
        Assert.True(result.Failed == 0, $"{result.Failed} of {result.Total} failed: {string.Join("; ", result.SampleFailures)}");
    }

    [Fact]
    public async Task A_client_aborting_mid_upload_reaches_the_backend_as_an_abort_and_leaves_nothing_in_flight()
    {
        var ct = TestContext.Current.CancellationToken;
        var aborted = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            try
            {
                int read;
                while ((read = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
                {
                    total += read;
                    started.TrySetResult();
                }

                aborted.TrySetResult($"the body ended cleanly after {total} bytes");
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                aborted.TrySetResult("aborted");
            }
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var counters = new ProxyCounters(proxy, "portico.active.");

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {10 << 20}\r\n\r\n"), ct);
            await stream.WriteAsync(new byte[256 * 1024], ct);
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            client.Client.LingerState = new LingerOption(true, 0);
        }

        Assert.Equal("aborted", await aborted.Task.WaitAsync(TimeSpan.FromSeconds(30), ct));
        await NothingLeftAsync(counters);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_aborting_mid_download_reaches_the_backend_as_an_abort_and_leaves_nothing_in_flight(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        var aborted = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            var chunk = new byte[64 * 1024];
            try
            {
                // A stream the backend cannot finish before the proxy lets go of it (at least 10 s,
                // at most 128 MiB); the client stops reading after 1 MiB.
                for (var i = 0; i < 2048; i++)
                {
                    await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
                    await Task.Delay(5, ctx.RequestAborted);
                }

                aborted.TrySetResult("the whole body was written");
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                aborted.TrySetResult("aborted");
            }
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.active.");

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
            var stream = client.GetStream();
            await stream.WriteAsync("GET /download HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), ct);
            await stream.ReadExactlyAsync(new byte[1 << 20], ct);
            client.Client.LingerState = new LingerOption(true, 0);
        }

        Assert.Equal("aborted", await aborted.Task.WaitAsync(TimeSpan.FromSeconds(60), ct));
        await NothingLeftAsync(counters);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_resetting_a_huge_download_stops_the_backend_well_before_its_end(bool fastPath)
    {
        // The backend writes as fast as the proxy takes it, on a raw socket so that what it
        // counts is what the kernel accepted (Kestrel completes writes on a connection it has
        // closed without an error). A relay that goes on after the client is gone drains all
        // 256 MiB; one that stops leaves the backend blocked by flow control within the socket
        // buffers (a few MiB), then failing on its closed connection.
        const long Total = 256L << 20;
        var ct = TestContext.Current.CancellationToken;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        long written = 0;
        var backend = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(ct);
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (n == 0)
                {
                    return "the proxy closed before sending a request";
                }

                head.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }

            try
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Total}\r\n\r\n"), SocketFlags.None, ct);
                var chunk = new byte[64 * 1024];
                while (Interlocked.Read(ref written) < Total)
                {
                    Interlocked.Add(ref written, await socket.SendAsync(chunk, SocketFlags.None, ct));
                }

                return "the whole body was written";
            }
            catch (SocketException)
            {
                return "aborted";
            }
        }, ct);
        await using var proxy = await TestProxy.StartAsync(Config($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.active.");

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
            var stream = client.GetStream();
            await stream.WriteAsync("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), ct);
            await stream.ReadExactlyAsync(new byte[1 << 20], ct);
            client.Client.LingerState = new LingerOption(true, 0);
        }

        var outcome = await backend.WaitAsync(TimeSpan.FromSeconds(60), ct);
        var sent = Interlocked.Read(ref written);
        TestContext.Current.TestOutputHelper?.WriteLine($"fast path {fastPath}: {outcome} after {sent >> 20} MiB of {Total >> 20}");
        Assert.Equal("aborted", outcome);
        Assert.True(sent < Total / 4, $"the backend wrote {sent >> 20} MiB of {Total >> 20} MiB after the client reset");
        await NothingLeftAsync(counters);
    }

    private static string Config(string url) => $$"""
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{url}}] }
        """;

    private static async Task NothingLeftAsync(ProxyCounters counters)
        => await Poll.UntilAsync(
            () => counters.Observe("portico.active.requests") == 0 && counters.Observe("portico.active.connections") == 0,
            "no request in flight and no client connection open");
}
