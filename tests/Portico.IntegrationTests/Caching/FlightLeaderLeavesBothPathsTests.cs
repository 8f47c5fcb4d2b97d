using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// A collapsed miss whose first client (the flight's leader) leaves mid-body, on a proxy with and
/// one without the fast path. As nginx keeps fetching a cacheable response after the client that
/// started it left (ngx_http_upstream_check_broken_connection), the origin fetch goes on: the
/// followers get the whole body, and it is stored. With nobody to relay to and nothing to store (a
/// body past maxObjectSize), the fetch stops.
/// </summary>
/// <remarks>
/// Before, the fetch was tied to the leader's client: YARP's forwarder followed its RequestAborted,
/// the fast path stopped reading the backend at the first write that failed. The flight failed,
/// every follower's response was cut off part way and nothing was stored.
/// </remarks>
public sealed class FlightLeaderLeavesBothPathsTests
{
    private const int Part = 32 * 1024;

    // 320 KiB, no byte like its neighbours, so a piece lost or repeated shows.
    private static readonly byte[] Whole = Enumerable.Range(0, 10 * Part).Select(i => (byte)('a' + ((i * 7) + (i / 251)) % 26)).ToArray();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Followers_get_the_whole_body_and_it_is_stored_when_the_leader_closes_its_connection(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var o = await SlowOrigin.StartAsync(fastPath, lengthKnown: true);
        using var counters = new ProxyCounters(o.Proxy, "portico.active.requests");

        using var leader = await LeaderAsync(o.Proxy);
        using var followerClient = new HttpClient { BaseAddress = o.Proxy.Address };
        using var follower = await followerClient.GetAsync("/slow", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal("Portico; fwd=uri-miss; collapsed", Assert.Single(follower.Headers.GetValues("Cache-Status")));
        var followerBody = await follower.Content.ReadAsStreamAsync(ct);

        Reset(leader);
        o.Rest.SetResult();

        var all = new MemoryStream();
        await followerBody.CopyToAsync(all, ct);
        Assert.True(Whole.AsSpan().SequenceEqual(all.ToArray()), $"the follower got {all.Length} bytes, not the {Whole.Length} the origin sent");

        await AssertStoredAsync(o, counters);

        // The leader's exchange is logged as before: its status, and the bytes it took before it left.
        var line = await LeaderLineAsync(o);
        Assert.Equal(200, line.GetProperty("status").GetInt32());
        Assert.InRange(line.GetProperty("bytesOut").GetInt64(), 1, Whole.Length - 1);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_no_follower_the_fetch_goes_on_and_stores_the_response_when_the_leader_leaves(bool fastPath)
    {
        await using var o = await SlowOrigin.StartAsync(fastPath, lengthKnown: false);
        using var counters = new ProxyCounters(o.Proxy, "portico.active.requests");

        Reset(await LeaderAsync(o.Proxy));
        o.Rest.SetResult();

        Assert.True(await o.Finished.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), "the origin's response was cut off");
        await AssertStoredAsync(o, counters);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Followers_get_the_whole_body_when_the_leader_leaves_before_the_response_head(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var o = await SlowOrigin.StartAsync(fastPath, lengthKnown: true, holdHead: true);
        using var counters = new ProxyCounters(o.Proxy, "portico.active.requests");

        var leader = new TcpClient();
        await leader.ConnectAsync(IPAddress.Loopback, o.Proxy.Address.Port, ct);
        await leader.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"GET /slow HTTP/1.1\r\nHost: {o.Proxy.Address.Authority}\r\nUser-Agent: leader\r\n\r\n"), ct);
        await Poll.UntilAsync(() => o.Backend.Count == 1, "the leader's request at the origin");
        using var followerClient = new HttpClient { BaseAddress = o.Proxy.Address };
        var following = followerClient.GetAsync("/slow", HttpCompletionOption.ResponseHeadersRead, ct);
        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 2, "the follower waiting for the leader's response head");

        Reset(leader);
        o.Rest.SetResult();

        using var follower = await following;
        Assert.Equal("Portico; fwd=uri-miss; collapsed", Assert.Single(follower.Headers.GetValues("Cache-Status")));
        var all = await follower.Content.ReadAsByteArrayAsync(ct);
        Assert.True(Whole.AsSpan().SequenceEqual(all), $"the follower got {all.Length} bytes, not the {Whole.Length} the origin sent");
        await AssertStoredAsync(o, counters);
    }

    [Fact]
    public async Task Followers_get_the_whole_body_when_an_http2_leader_resets_its_stream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var o = await SlowOrigin.StartAsync(fastPath: null, lengthKnown: true, top: "listeners:\n  main: { address: \"127.0.0.1:0\", protocols: [h2c] }");
        using var counters = new ProxyCounters(o.Proxy, "portico.active.requests");
        using var h2 = new HttpClient { BaseAddress = o.Proxy.Address, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        var leader = await h2.GetAsync("/slow", HttpCompletionOption.ResponseHeadersRead, ct);
        await (await leader.Content.ReadAsStreamAsync(ct)).ReadExactlyAsync(new byte[1024], ct);
        using var follower = await h2.GetAsync("/slow", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal("Portico; fwd=uri-miss; stored", Assert.Single(leader.Headers.GetValues("Cache-Status")));
        Assert.Equal("Portico; fwd=uri-miss; collapsed", Assert.Single(follower.Headers.GetValues("Cache-Status")));

        // Disposed before its end: HttpClient resets the stream (RST_STREAM), the connection stays.
        leader.Dispose();
        o.Rest.SetResult();

        var all = await follower.Content.ReadAsByteArrayAsync(ct);
        Assert.True(Whole.AsSpan().SequenceEqual(all), $"the follower got {all.Length} bytes, not the {Whole.Length} the origin sent");
        await AssertStoredAsync(o, counters, h2);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Past_max_object_size_with_nobody_following_the_fetch_stops_when_the_leader_leaves(bool fastPath)
    {
        await using var o = await SlowOrigin.StartAsync(fastPath, lengthKnown: false, top: "cache: { maxObjectSize: 64KiB }", times: 8);
        using var counters = new ProxyCounters(o.Proxy, "portico.active.requests");

        Reset(await LeaderAsync(o.Proxy));
        o.Rest.SetResult();

        // Not storable and no one to relay to: the origin's response (2.5 MiB, more than the 1 MiB
        // .NET's client may still read of a response it stops reading, to keep its connection) is
        // cut off before its end.
        Assert.False(await o.Finished.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), "the origin sent its whole response to nobody");
        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the leader's request finished");
        using var again = await NewConnection.GetAsync(o.Proxy, "/slow");
        Assert.Equal("Portico; fwd=uri-miss; stored", Assert.Single(again.Headers.GetValues("Cache-Status")));
        Assert.Equal(2, o.Backend.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_origin_that_stalls_after_the_leader_left_is_given_up_at_the_clusters_timeout(bool fastPath)
    {
        await using var o = await SlowOrigin.StartAsync(fastPath, lengthKnown: true, stall: true, cluster: ", timeout: 1s");
        using var counters = new ProxyCounters(o.Proxy, "portico.active.requests");

        Reset(await LeaderAsync(o.Proxy));
        o.Rest.SetResult();

        // Storable, so fetched on without its client; but the origin's silence ends it, as it
        // ends any forward, and the body cut off is not stored.
        Assert.False(await o.Finished.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), "the origin was waited on past the timeout");
        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the leader's request finished");
        using var again = await NewConnection.GetAsync(o.Proxy, "/slow");
        Assert.Equal("Portico; fwd=uri-miss; stored", Assert.Single(again.Headers.GetValues("Cache-Status")));
        Assert.Equal(2, o.Backend.Count);
    }

    /// <summary>A raw HTTP/1.1 client that asked for /slow and read its head and the first KiB of its body.</summary>
    private static async Task<TcpClient> LeaderAsync(TestProxy proxy)
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Address.Port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /slow HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\nUser-Agent: leader\r\n\r\n"), ct);
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        int end;
        while ((end = Encoding.Latin1.GetString([.. received]).IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0 || received.Count < end + 4 + 1024)
        {
            var n = await stream.ReadAsync(buffer, ct);
            Assert.True(n > 0, "the leader's response ended early");
            received.AddRange(buffer.AsSpan(0, n));
        }

        Assert.Contains("\r\nCache-Status: Portico; fwd=uri-miss; stored\r\n", Encoding.Latin1.GetString([.. received], 0, end + 2));
        return client;
    }

    // Closed with a reset (SO_LINGER 0), the rest of the response unread: the client is gone, not half-closed.
    private static void Reset(TcpClient client)
    {
        client.Client.LingerState = new LingerOption(true, 0);
        client.Dispose();
    }

    /// <summary>Once no request is in progress, the next one (on a new connection, or <paramref name="client"/>'s) is a hit with the whole body: the origin was asked once.</summary>
    private static async Task AssertStoredAsync(SlowOrigin o, ProxyCounters counters, HttpClient? client = null)
    {
        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the leader's request finished");
        using var hit = client is null ? await NewConnection.GetAsync(o.Proxy, "/slow") : await client.GetAsync("/slow", TestContext.Current.CancellationToken);
        Assert.Matches(@"^Portico; hit; ttl=\d+$", Assert.Single(hit.Headers.GetValues("Cache-Status")));
        var body = await hit.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.True(Whole.AsSpan().SequenceEqual(body), "the stored body is not the origin's");
        Assert.Equal(1, o.Backend.Count);
    }

    private static async Task<JsonElement> LeaderLineAsync(SlowOrigin o)
    {
        JsonElement? line = null;
        await Poll.UntilAsync(
            () =>
            {
                line = File.Exists(o.Log)
                    ? File.ReadAllLines(o.Log).Select(l => JsonDocument.Parse(l).RootElement).Where(l => l.GetProperty("userAgent").GetString() == "leader").Cast<JsonElement?>().FirstOrDefault()
                    : null;
                return line is not null;
            },
            "the leader's access log line");
        return line!.Value;
    }

    /// <summary>
    /// An origin whose first answer (max-age=60; with Content-Length, or chunked) sends its first
    /// 32 KiB part, waits for <see cref="Rest"/>, then sends nine more with pauses between them
    /// (all of it as many times over as asked); <see cref="Finished"/> says whether all of it
    /// went out; with holdHead, the head too waits for Rest; with stall, it goes silent after its
    /// second part. Later answers send all at once.
    /// </summary>
    private sealed class SlowOrigin : IAsyncDisposable
    {
        private int _answers;

        public required TestBackend Backend { get; init; }

        public required TestProxy Proxy { get; init; }

        public required string Log { get; init; }

        public TaskCompletionSource Rest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<bool> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static async Task<SlowOrigin> StartAsync(bool? fastPath, bool lengthKnown, string top = "", int times = 1, bool holdHead = false, bool stall = false, string cluster = "")
        {
            SlowOrigin? self = null;
            var backend = await TestBackend.StartAsync("app", async ctx =>
            {
                var first = Interlocked.Increment(ref self!._answers) == 1;
                if (first && holdHead)
                {
                    // The response head too waits for Rest.
                    await self.Rest.Task;
                }

                ctx.Response.Headers.CacheControl = "max-age=60";
                if (lengthKnown)
                {
                    ctx.Response.ContentLength = (long)Whole.Length * times;
                }

                try
                {
                    for (var at = 0; at < Whole.Length * times; at += Part)
                    {
                        if (first && at > 0)
                        {
                            await (at == Part ? self.Rest.Task : Task.Delay(20, ctx.RequestAborted));
                        }

                        await ctx.Response.Body.WriteAsync(Whole.AsMemory(at % Whole.Length, Part), ctx.RequestAborted);
                        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                        if (first && stall && at == Part)
                        {
                            // Silent from here until the proxy gives up.
                            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                        }
                    }

                    self.Finished.TrySetResult(true);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                    self.Finished.TrySetResult(false);
                }
            });
            var log = Path.Combine(Path.GetTempPath(), $"portico-flight-{Guid.NewGuid():N}.log");
            var proxy = await TestProxy.StartAsync($$"""
                {{top}}
                accessLog: { output: "{{log}}" }
                routes:
                  site: { match: { pathPrefix: / }, cluster: app, cache: {} }
                clusters:
                  app: { destinations: [{{backend.Url}}]{{cluster}} }
                """, fastPath);
            self = new SlowOrigin { Backend = backend, Proxy = proxy, Log = log };
            return self;
        }

        public async ValueTask DisposeAsync()
        {
            Rest.TrySetResult();
            await Proxy.DisposeAsync();
            await Backend.DisposeAsync();
            File.Delete(Log);
        }
    }
}
