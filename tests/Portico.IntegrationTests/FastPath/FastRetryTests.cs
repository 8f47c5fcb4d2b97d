using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.Observability;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// A cluster's `retries` on both paths: a failure before any response byte (a refused
/// connection, a reset after the request was sent, a connection that ends inside the response
/// head) is retried on another destination the same way: as many attempts, the failed one
/// excluded, passive health counting each failure, the retry metric and the retry log line; a
/// cluster without retries gets one attempt and a 502. Each case runs once with the fast path and
/// once without, and with the fast path its own counter shows it served every request.
/// </summary>
public sealed class FastRetryTests
{
    /// <summary>How a failing destination fails.</summary>
    public enum Fault
    {
        Refused,
        Reset,
        CutHead,
        Silent,
    }

    /// <summary>One route to cluster app: round-robin over <paramref name="destinations"/> with <paramref name="retries"/>.</summary>
    internal static string Config(string destinations, int retries, string health = "") => $$"""
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app:
            retries: {{retries}}
            loadBalancing: round-robin
            destinations: [{{destinations}}]
            {{health}}
        """;

    [Theory]
    [InlineData(true, Fault.Refused)]
    [InlineData(false, Fault.Refused)]
    [InlineData(true, Fault.Reset)]
    [InlineData(false, Fault.Reset)]
    [InlineData(true, Fault.CutHead)]
    [InlineData(false, Fault.CutHead)]
    public async Task A_failure_before_any_response_byte_is_retried_once_on_the_other_destination(bool fastPath, Fault fault)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var live = await TestBackend.StartAsync("live");
        await using var failing = Failing.Start(fault);
        await using var proxy = await TestProxy.StartAsync(
            Config($"{failing.Url}, {live.Url}", retries: 1, "healthCheck: { passive: { consecutiveFailures: 1, reactivateAfter: 1h } }"), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.retries", "portico.active.requests");

        // Round-robin reaches the failing destination within two requests; passive health
        // then takes it out, so exactly one request is retried whichever it starts with.
        for (var i = 0; i < 4; i++)
        {
            using var response = await proxy.Client.GetAsync($"/r{i}", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0 && counters.Value("portico.retries") == 1, "the retried request to be counted");
        Assert.Equal(4, live.Count);
        Assert.Equal(fault == Fault.Refused ? 0 : 1, failing.Requests);

        // The failing destination's statistics (admin API): one failed attempt, retried.
        var tally = Tally(proxy, failing.Url);
        Assert.Equal((1L, 1L), (tally.Count(fault == Fault.Refused ? DestinationOutcome.Connect : DestinationOutcome.Reset), tally.Retries));
        Assert.Single(proxy.Logs.Messages(1002));
        Assert.Single(proxy.Logs.Messages(2002));
        Assert.Empty(proxy.Logs.Messages(1001));
        Assert.Equal(fastPath ? 4 : 0, counters.Value("portico.fastpath.requests"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Retries_spent_end_in_a_502_after_one_attempt_per_destination(bool fastPath)
    {
        await using var first = Failing.Start(Fault.Reset);
        await using var second = Failing.Start(Fault.Reset);
        await using var proxy = await TestProxy.StartAsync(Config($"{first.Url}, {second.Url}", retries: 3), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.retries", "portico.active.requests");

        using var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        // Three retries allowed, but a retry goes only to a destination not yet tried.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the request to finish");
        Assert.Equal((1, 1), (first.Requests, second.Requests));
        Assert.Equal(1, Tally(proxy, first.Url).Retries + Tally(proxy, second.Url).Retries);
        Assert.Equal(2, Tally(proxy, first.Url).Count(DestinationOutcome.Reset) + Tally(proxy, second.Url).Count(DestinationOutcome.Reset));
        Assert.Equal(1, counters.Value("portico.retries"));
        Assert.Single(proxy.Logs.Messages(1002));
        Assert.Single(proxy.Logs.Messages(1001));
        Assert.Equal(fastPath ? 1 : 0, counters.Value("portico.fastpath.requests"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Without_retries_a_reset_after_the_request_was_sent_is_one_attempt_and_a_502(bool fastPath)
    {
        await using var failing = Failing.Start(Fault.Reset);
        await using var proxy = await TestProxy.StartAsync(Config(failing.Url, retries: 0), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.retries", "portico.active.requests");

        using var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        // The fast path once handed this over, and the full path sent the request again.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the request to finish");
        Assert.Equal(1, failing.Requests);
        Assert.Equal(0, counters.Value("portico.retries"));
        Assert.Single(proxy.Logs.Messages(1001));
        Assert.Equal(fastPath ? 1 : 0, counters.Value("portico.fastpath.requests"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_destination_that_never_answers_is_retried_after_the_cluster_timeout(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var live = await TestBackend.StartAsync("live");
        await using var silent = Failing.Start(Fault.Silent);
        await using var proxy = await TestProxy.StartAsync(Config($"{silent.Url}, {live.Url}", retries: 1, "timeout: 1s"), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.retries", "portico.active.requests");

        // Round-robin sends one of the two to the silent destination first: it times out and
        // goes on to the live one (nginx's proxy_next_upstream timeout), rather than a 504.
        for (var i = 0; i < 2; i++)
        {
            using var response = await proxy.Client.GetAsync($"/r{i}", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0 && counters.Value("portico.retries") == 1, "the retried request to be counted");
        Assert.Equal((2, 1), (live.Count, silent.Requests));
        var tally = Tally(proxy, silent.Url);
        Assert.Equal((1L, 1L), (tally.Count(DestinationOutcome.Timeout), tally.Retries));

        // The live destination answered at once: its latency is its own attempt's, not the
        // retried request's, which includes the timeout of at least a second.
        var liveLatency = Tally(proxy, live.Url).Percentile(1.0)!.Value;
        Assert.True(liveLatency < 0.5, $"the live destination's latency {liveLatency:F3} s");
        Assert.StartsWith("route all: retry 1 after RequestTimedOut on destination ", Assert.Single(proxy.Logs.Messages(1002)), StringComparison.Ordinal);
        Assert.Empty(proxy.Logs.Messages(1001));
        Assert.Equal(fastPath ? 2 : 0, counters.Value("portico.fastpath.requests"));
    }

    [Fact]
    public async Task A_post_sent_to_a_destination_that_never_answers_is_not_retried()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var live = await TestBackend.StartAsync("live");
        await using var silent = Failing.Start(Fault.Silent);
        await using var proxy = await TestProxy.StartAsync(Config($"{silent.Url}, {live.Url}", retries: 1, "timeout: 1s"));

        // The backend may have acted on it (RFC 9110 §9.2.2): one 504, never a second copy.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await proxy.Client.PostAsync($"/p{i}", new StringContent("x"), ct);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.GatewayTimeout], statuses.Order());
        Assert.Equal((1, 1), (live.Count, silent.Requests));
        Assert.Empty(proxy.Logs.Messages(1002));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_a_retry_each_destination_is_timed_by_its_own_attempt(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var silent = Failing.Start(Fault.Silent);
        await using var reset = Failing.Start(Fault.Reset);
        await using var proxy = await TestProxy.StartAsync(Config($"{silent.Url}, {reset.Url}", retries: 1, "timeout: 1s"), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.active.requests");

        // Round-robin starts the two requests on different destinations, so one ends in the
        // reset's 502 after the silent one's timeout and the other in the silent one's 504.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await proxy.Client.GetAsync($"/r{i}", ct);
            statuses.Add(response.StatusCode);
        }

        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the requests to finish");
        Assert.Equal([HttpStatusCode.BadGateway, HttpStatusCode.GatewayTimeout], statuses.Order());

        // The reset answers at once: its latency is its own attempt's, not the request's, which
        // includes the other destination's timeout of at least a second.
        var resetLatency = Tally(proxy, reset.Url).Percentile(1.0)!.Value;
        var silentLatency = Tally(proxy, silent.Url).Percentile(1.0)!.Value;
        Assert.True(silentLatency >= 0.9, $"the silent destination's latency {silentLatency:F3} s");
        Assert.True(resetLatency < 0.5, $"the resetting destination's latency {resetLatency:F3} s (the silent one's {silentLatency:F3} s)");
    }

    private static DestinationTally Tally(TestProxy proxy, string url)
    {
        Assert.True(proxy.State.TryGetCluster("app", out var cluster));
        var destination = cluster.Destinations.Values.Single(d => d.Model.Config.Address.TrimEnd('/') == url);
        return proxy.Services.GetRequiredService<DestinationStats>().Of(destination);
    }

    /// <summary>
    /// A destination that fails as <see cref="Fault"/> says: its port closed (refused), or it
    /// reads each request head whole and then resets the connection, or sends part of a response
    /// head and closes.
    /// </summary>
    private sealed class Failing : IAsyncDisposable
    {
        private readonly TcpListener? _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting = Task.CompletedTask;
        private readonly Fault _fault;
        private int _requests;

        private Failing(Fault fault)
        {
            _fault = fault;
            if (fault == Fault.Refused)
            {
                Url = $"http://127.0.0.1:{FreePorts.Take()}";
                return;
            }

            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            _accepting = AcceptAsync();
        }

        public string Url { get; }

        /// <summary>Request heads received whole.</summary>
        public int Requests => Volatile.Read(ref _requests);

        public static Failing Start(Fault fault) => new(fault);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener?.Stop();
            await _accepting;
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener!.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = FailAsync(socket);
            }
        }

        private async Task FailAsync(Socket socket)
        {
            using (socket)
            {
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.Latin1.GetString(buffer, 0, n));
                }

                Interlocked.Increment(ref _requests);
                if (_fault == Fault.Silent)
                {
                    // Holds the connection open without a byte until the test ends.
                    await Task.Delay(Timeout.Infinite, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
                }

                if (_fault == Fault.CutHead)
                {
                    await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-"u8.ToArray(), SocketFlags.None, _stop.Token);
                    socket.Shutdown(SocketShutdown.Both);
                    return;
                }

                // A reset rather than an orderly close (RFC 9293 §3.10.7.1: SO_LINGER 0).
                socket.LingerState = new LingerOption(true, 0);
            }
        }
    }
}
