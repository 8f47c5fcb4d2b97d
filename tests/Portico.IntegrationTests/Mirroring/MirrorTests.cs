using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Mirroring;

/// <summary>
/// A route's `mirror` through a real proxy to a real primary and a real shadow: every request
/// copied whole at 100 %, the share at a lower percent, and a shadow that hangs, is down, resets
/// its connections or would get a body over the limit, none of which the client feels.
/// </summary>
public sealed class MirrorTests
{
    private const string Pending = "portico.mirror.pending";
    private const string Mirrored = "portico.mirror.requests";
    private const string Dropped = "portico.mirror.dropped";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task At_100_percent_the_shadow_gets_every_request_with_its_method_target_fields_and_body(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await Rig.StartAsync("{ cluster: shadow, percent: 100 }", fastPath);
        var (proxy, counters, primarySaw, shadowSaw) = (rig.Proxy, rig.Counters, rig.PrimarySaw, rig.ShadowSaw);
        var body = new byte[20_000];
        Random.Shared.NextBytes(body);

        Assert.Equal("primary", await proxy.Client.GetStringAsync("/items?b=2&a=x%2Fy", ct));
        using var post = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = new ByteArrayContent(body) };
        post.Headers.Add("X-Trace", "t1");
        Assert.Equal("primary", await (await proxy.Client.SendAsync(post, ct)).Content.ReadAsStringAsync(ct));
        // No Content-Length: the body arrives chunked, and the copy still carries all of it.
        using var put = new HttpRequestMessage(HttpMethod.Put, "/orders/7") { Content = new StreamContent(new MemoryStream(body[..9_000])) };
        put.Headers.TransferEncodingChunked = true;
        Assert.Equal("primary", await (await proxy.Client.SendAsync(put, ct)).Content.ReadAsStringAsync(ct));

        await Poll.UntilAsync(() => counters.Value(Mirrored) == 3 && counters.Value(Pending) == 0, "three copies answered");
        Assert.Equal(3, counters.Value(Mirrored, ("route", "api"), ("cluster", "shadow"), ("status_class", "2xx")));
        Assert.Equal(0, counters.Value(Dropped));
        Assert.Equal(
            primarySaw.Select(s => (s.Method, s.Target, Convert.ToHexString(s.Body), s.Trace, s.ForwardedForAndHost)).Order(),
            shadowSaw.Select(s => (s.Method, s.Target, Convert.ToHexString(s.Body), s.Trace, s.ForwardedForAndHost)).Order());
        Assert.All(shadowSaw, s => Assert.Equal($"127.0.0.1 {proxy.Address.Authority}", s.ForwardedForAndHost));
        Assert.All(shadowSaw, s => Assert.Equal("1", s.Marker));
        Assert.All(primarySaw, s => Assert.Equal("", s.Marker));
        Assert.Contains(shadowSaw, s => s.Target == "/items?b=2&a=x%2Fy" && s.Method == "GET");

        // The fast path leaves the route to the full pipeline, which copies; the admin API says so.
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        var route = JsonDocument.Parse(await admin.GetStringAsync("/api/config", ct)).RootElement.GetProperty("routes").GetProperty("api");
        Assert.Equal("mirror", route.GetProperty("fastPath").GetString());
        Assert.Equal("""{"cluster":"shadow","percent":100,"maxBodySizeBytes":65536,"queue":100,"concurrency":10,"timeout":"5s"}""", route.GetProperty("mirror").GetRawText());
    }

    [Fact]
    public async Task On_a_route_with_a_rewrite_the_shadow_gets_the_rewritten_target_and_host_as_the_backend_does()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await Rig.StartAsync("{ cluster: shadow }", route: "rewrite: { pathPrefix: /v2, host: internal.example }");

        Assert.Equal("primary", await rig.Proxy.Client.GetStringAsync("/users/7?x=%7C", ct));

        await Poll.UntilAsync(() => rig.Counters.Value(Mirrored) == 1 && rig.Counters.Value(Pending) == 0, "the copy answered");
        var primary = Assert.Single(rig.PrimarySaw);
        var shadow = Assert.Single(rig.ShadowSaw);
        Assert.Equal("/v2/users/7?x=%7C", primary.Target);
        Assert.Equal((primary.Method, primary.Target, primary.ForwardedForAndHost), (shadow.Method, shadow.Target, shadow.ForwardedForAndHost));
        Assert.EndsWith(" internal.example", shadow.ForwardedForAndHost);
    }

    [Fact]
    public async Task A_percent_copies_that_share_of_the_requests()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await Rig.StartAsync("{ cluster: shadow, percent: 30 }");
        var (proxy, counters) = (rig.Proxy, rig.Counters);
        const int requests = 1000;

        var load = await Load.RunAsync(requests, 4, TimeSpan.FromMinutes(2), async i => (await proxy.Client.GetAsync($"/r/{i}", ct)).StatusCode == HttpStatusCode.OK);

        Assert.Equal(requests, load.Ok);
        await Poll.UntilAsync(() => counters.Value(Pending) == 0 && counters.Value(Mirrored) == rig.ShadowSaw.Count, "the copies answered");
        // 30 % of 1,000 is 300 with a standard deviation of 14.5: ±60 is four of them.
        Assert.InRange(rig.ShadowSaw.Count, 240, 360);
        Assert.Equal(requests, rig.PrimarySaw.Count);
        Assert.Equal(0, counters.Value(Dropped));
    }

    [Fact]
    public async Task A_shadow_that_never_answers_does_not_hold_up_the_client_and_its_copies_are_dropped()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var primary = await TestBackend.StartAsync("primary");
        await using var shadow = SilentShadow.Start(reset: false);
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              plain:
                match: { pathPrefix: /plain }
                cluster: app
              mirrored:
                match: { pathPrefix: /mirrored }
                cluster: app
                mirror: { cluster: shadow, queue: 10, concurrency: 5, timeout: 10s }
            clusters:
              app: { destinations: [{{primary.Url}}] }
              shadow: { destinations: [{{shadow.Url}}] }
            """);
        using var counters = new ProxyCounters(proxy, "portico.mirror.");
        const int requests = 200;
        var plain = new List<double>();
        var mirrored = new List<double>();

        // Interleaved, so both routes see the same machine load.
        for (var i = 0; i < requests; i++)
        {
            plain.Add(await TimeGetAsync(proxy.Client, $"/plain/{i}", ct));
            mirrored.Add(await TimeGetAsync(proxy.Client, $"/mirrored/{i}", ct));
        }

        // The shadow never answers, so a client that waited for its copy would take the mirror's
        // whole 10 s timeout: every mirrored request ending sooner is what shows it did not wait
        // (a bound set by the behaviour, not by how fast the machine is; a ratio to the plain
        // route's p99 was tried and can fail on a loaded machine).
        TestContext.Current.TestOutputHelper?.WriteLine($"p99 {P99(mirrored) * 1000:F1} ms with a hanging shadow, {P99(plain) * 1000:F1} ms without a mirror");
        Assert.All(mirrored, seconds => Assert.True(seconds < 10, $"a mirrored request took {seconds:F3} s, the shadow's timeout"));
        Assert.True(shadow.Accepted > 0, "the shadow was sent copies");

        await Poll.UntilAsync(() => counters.Value(Pending) == 0, "the queued copies to time out", seconds: 30);
        // Fifteen copies fit (queue 10, concurrency 5) and wait out the timeout; the rest find no room.
        Assert.Equal(requests, counters.Value(Dropped, ("route", "mirrored")));
        Assert.InRange(counters.Value(Dropped, ("reason", "timeout")), 15, requests - 1);
        Assert.Equal(requests, counters.Value(Dropped, ("reason", "timeout")) + counters.Value(Dropped, ("reason", "queue_full")));
        Assert.Equal(0, counters.Value(Mirrored));
    }

    [Fact]
    public async Task A_shadow_that_is_down_or_resets_connections_costs_the_client_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var primary = await TestBackend.StartAsync("primary", async ctx =>
        {
            using var sink = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(sink);
            await ctx.Response.WriteAsync($"primary {sink.Length}");
        });
        await using var resetting = SilentShadow.Start(reset: true);
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              down:
                match: { pathPrefix: /down }
                cluster: app
                mirror: { cluster: down }
              resets:
                match: { pathPrefix: /resets }
                cluster: app
                mirror: { cluster: resets }
            clusters:
              app: { destinations: [{{primary.Url}}] }
              down: { destinations: ["http://127.0.0.1:{{FreePorts.Take()}}"] }
              resets: { destinations: [{{resetting.Url}}] }
            """);
        using var counters = new ProxyCounters(proxy, "portico.mirror.");

        foreach (var route in new[] { "down", "resets" })
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal("primary 0", await proxy.Client.GetStringAsync($"/{route}/{i}", ct));
                var response = await proxy.Client.PostAsync($"/{route}/{i}", new ByteArrayContent(new byte[3000]), ct);
                Assert.Equal("primary 3000", await response.Content.ReadAsStringAsync(ct));
            }
        }

        await Poll.UntilAsync(() => counters.Value(Pending) == 0 && counters.Value(Dropped) == 40, "every copy to fail");
        Assert.Equal(20, counters.Value(Dropped, ("route", "down"), ("reason", "shadow_error")));
        Assert.Equal(20, counters.Value(Dropped, ("route", "resets"), ("reason", "shadow_error")));
        Assert.True(resetting.Accepted > 0, "the resetting shadow was sent copies");
        Assert.Equal(0, counters.Value(Mirrored));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_not_mirrored_and_still_reaches_the_primary_whole()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await Rig.StartAsync("{ cluster: shadow, maxBodySize: 1KiB }");
        var (proxy, counters, primarySaw, shadowSaw) = (rig.Proxy, rig.Counters, rig.PrimarySaw, rig.ShadowSaw);
        var large = new byte[4096];
        Random.Shared.NextBytes(large);

        // Declared too long: never copied. Chunked and too long: the copy is let go at 1 KiB.
        await proxy.Client.PostAsync("/declared", new ByteArrayContent(large), ct);
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/chunked") { Content = new StreamContent(new MemoryStream(large)) };
        chunked.Headers.TransferEncodingChunked = true;
        await proxy.Client.SendAsync(chunked, ct);
        using var small = new HttpRequestMessage(HttpMethod.Post, "/small") { Content = new StreamContent(new MemoryStream(large[..1024])) };
        small.Headers.TransferEncodingChunked = true;
        await proxy.Client.SendAsync(small, ct);

        await Poll.UntilAsync(() => counters.Value(Pending) == 0 && counters.Value(Mirrored) == 1, "the small body's copy");
        Assert.Equal(2, counters.Value(Dropped, ("reason", "body_too_large")));
        Assert.Equal(2, counters.Value(Dropped));
        Assert.Equal(["/small"], shadowSaw.Select(s => s.Target));
        Assert.Equal(large[..1024], shadowSaw.Single().Body);
        Assert.Equal(3, primarySaw.Count);
        Assert.All(primarySaw.Where(s => s.Target != "/small"), s => Assert.Equal(large, s.Body));
    }

    [Fact]
    public async Task A_drained_shadow_destination_gets_no_copies_until_it_is_enabled_again()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await Rig.StartAsync("{ cluster: shadow }");
        var (proxy, counters) = (rig.Proxy, rig.Counters);
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        var destination = $"/api/clusters/shadow/destinations/{rig.Shadow.Address.Authority}";

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync(destination + "/drain", null, ct)).StatusCode);
        await Poll.UntilAsync(async () => await proxy.Client.GetStringAsync("/wait", ct) == "primary" && counters.Value(Dropped, ("reason", "no_destination")) > 0, "the drain to reach the shadow's available destinations");
        await Poll.UntilAsync(() => counters.Value(Pending) == 0, "the copies sent before the drain took effect");
        var before = (Dropped: counters.Value(Dropped, ("reason", "no_destination")), Copies: rig.ShadowSaw.Count);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("primary", await proxy.Client.GetStringAsync($"/drained/{i}", ct));
        }

        Assert.Equal(before.Dropped + 5, counters.Value(Dropped, ("reason", "no_destination")));
        Assert.Equal(before.Dropped + 5, counters.Value(Dropped));
        Assert.Equal(before.Copies, rig.ShadowSaw.Count);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync(destination + "/enable", null, ct)).StatusCode);
        await Poll.UntilAsync(async () => await proxy.Client.GetStringAsync("/enabled", ct) == "primary" && rig.ShadowSaw.Any(s => s.Target == "/enabled"), "copies to reach the enabled shadow");
    }

    private static RequestDelegate Recorder(ConcurrentQueue<Seen> seen, string name) => async ctx =>
    {
        using var body = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(body);
        var target = ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget;
        seen.Enqueue(new Seen(ctx.Request.Method, target, body.ToArray(), ctx.Request.Headers["X-Trace"].ToString(), ctx.Request.Headers["X-Portico-Mirror"].ToString(), ctx.Request.Headers["X-Forwarded-For"].ToString() + " " + ctx.Request.Headers.Host));
        await ctx.Response.WriteAsync(name);
    };

    private static async Task<double> TimeGetAsync(HttpClient client, string path, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var response = await client.GetAsync(path, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double P99(List<double> seconds) => seconds.Order().ElementAt((int)Math.Ceiling(seconds.Count * 0.99) - 1);

    private sealed record Seen(string Method, string Target, byte[] Body, string Trace, string Marker, string ForwardedForAndHost);

    /// <summary>A primary and a shadow that record what they get, and a proxy whose one route mirrors to the shadow.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private TestBackend? _primary;
        private TestBackend? _shadow;

        public ConcurrentQueue<Seen> PrimarySaw { get; } = new();

        public ConcurrentQueue<Seen> ShadowSaw { get; } = new();

        public TestProxy Proxy { get; private set; } = null!;

        public TestBackend Shadow => _shadow!;

        public ProxyCounters Counters { get; private set; } = null!;

        public static async Task<Rig> StartAsync(string mirror, bool? fastPath = null, string route = "")
        {
            var rig = new Rig();
            rig._primary = await TestBackend.StartAsync("primary", Recorder(rig.PrimarySaw, "primary"));
            rig._shadow = await TestBackend.StartAsync("shadow", Recorder(rig.ShadowSaw, "shadow"));
            rig.Proxy = await TestProxy.StartAsync($$"""
                admin: { address: "127.0.0.1:0" }
                routes:
                  api:
                    match: { pathPrefix: / }
                    cluster: app
                    mirror: {{mirror}}
                    {{route}}
                clusters:
                  app: { destinations: [{{rig._primary.Url}}] }
                  shadow: { destinations: [{{rig._shadow.Url}}] }
                """, fastPath);
            rig.Counters = new ProxyCounters(rig.Proxy, "portico.mirror.");
            return rig;
        }

        public async ValueTask DisposeAsync()
        {
            Counters.Dispose();
            await Proxy.DisposeAsync();
            await _shadow!.DisposeAsync();
            await _primary!.DisposeAsync();
        }
    }

    /// <summary>A shadow that accepts connections and never answers: it holds them open, or resets each as soon as a request arrives.</summary>
    private sealed class SilentShadow : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentBag<Socket> _held = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private int _accepted;

        private SilentShadow(bool reset)
        {
            _listener.Start();
            _accepting = AcceptAsync(reset);
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public int Accepted => Volatile.Read(ref _accepted);

        public static SilentShadow Start(bool reset) => new(reset);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            foreach (var socket in _held)
            {
                socket.Dispose();
            }
        }

        private async Task AcceptAsync(bool reset)
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref _accepted);
                if (!reset)
                {
                    _held.Add(socket);
                    continue;
                }

                _ = ResetAsync(socket);
            }
        }

        private async Task ResetAsync(Socket socket)
        {
            try
            {
                await socket.ReceiveAsync(new byte[1], _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
            }

            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
        }
    }
}
