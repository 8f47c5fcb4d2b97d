using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// A cached route's misses on a proxy with and one without the fast path: the same request to the
/// backend, the same status, fields (Cache-Status included) and body to the client, the same
/// entry stored (the hit after it, its Age and ttl), the same cache metrics; and what is not
/// stored (no-store, private, Set-Cookie, Vary: *, a body past maxObjectSize, a body cut off) is
/// not stored on either. Each request goes on a new connection, where the fast path may take it;
/// its request counter shows which path served.
/// </summary>
public sealed class FastMissBothPathsTests
{
    private const string Storable = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nETag: \"v1\"\r\nCache-Tag: t1 t2\r\nX-Powered-By: secret\r\nX-Origin: a\r\nX-Origin: b\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nstored body";

    private static string Config(string backend, string cache = "{}", string top = "") => $$"""
        {{top}}
        routes:
          site: { match: { pathPrefix: / }, cluster: app, cache: {{cache}} }
        clusters:
          app: { destinations: [{{backend}}] }
        """;

    [Fact]
    public async Task A_storable_miss_and_the_hit_after_it_are_the_same_on_both_paths_and_the_fast_path_serves_both()
    {
        await using var backend = RawBackend.Start(text => Encoding.ASCII.GetBytes(text.StartsWith("HEAD ", StringComparison.Ordinal) ? Storable[..^11] : Storable));
        var answers = new Dictionary<bool, string[]>();
        var seen = new Dictionary<bool, string[]>();
        foreach (var fastPath in new[] { true, false })
        {
            await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: fastPath);
            using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests", "portico.cache.");
            var host = proxy.Address.Authority;
            var before = backend.Requests.Count;
            var texts = new List<string>();
            foreach (var request in new[] { "HEAD /page?q=1", "GET /page?q=1", "GET /page?q=1", "HEAD /page?q=1" })
            {
                var response = await RawHttp.SendAsync(proxy.Address, $"{request} HTTP/1.1\r\nHost: {host}\r\nAccept: text/plain\r\nUser-Agent: both\r\nConnection: close\r\n\r\n");
                texts.Add(response.Text.Replace(host, "PROXY", StringComparison.Ordinal));
            }

            await counters.AssertFastPathServedAsync(fastPath ? 4 : 0);
            Assert.Equal(0, counters.Value("portico.fastpath.handovers"));
            Assert.Equal(2, counters.Value("portico.cache.requests", ("outcome", "miss")));
            Assert.Equal(2, counters.Value("portico.cache.requests", ("outcome", "hit")));
            answers[fastPath] = [.. texts];
            seen[fastPath] = backend.Requests.Skip(before).Select(r => Sent(r.HeadText.Replace(host, "PROXY", StringComparison.Ordinal))).ToArray();
        }

        // The HEAD miss is forwarded as HEAD and not stored; the GET miss is stored; the GET and
        // the HEAD after it are hits. The backend saw the same two requests from both proxies.
        Assert.Equal(seen[false], seen[true]);
        Assert.Equal(["HEAD", "GET"], seen[true].Select(h => h[..h.IndexOf(' ', StringComparison.Ordinal)]));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(Comparable(answers[false][i]), Comparable(answers[true][i]));
            Assert.Equal(Body(answers[false][i]), Body(answers[true][i]));
        }

        var fast = answers[true];
        Assert.Contains("\r\nCache-Status: Portico; fwd=uri-miss\r\n", fast[0]);
        Assert.Equal("", Body(fast[0]));
        Assert.Contains("\r\nCache-Status: Portico; fwd=uri-miss; stored\r\n", fast[1]);
        Assert.Equal("stored body", Body(fast[1]));
        Assert.Matches(@"\r\nCache-Status: Portico; hit; ttl=\d+\r\n", fast[2]);
        Assert.Equal("stored body", Body(fast[2]));
        Assert.Matches(@"\r\nCache-Status: Portico; hit; ttl=\d+\r\n", fast[3]);
        foreach (var text in fast)
        {
            // The tag field is the cache's, the hidden field the proxy's: neither reaches the client.
            Assert.DoesNotContain("Cache-Tag", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("X-Powered-By", text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("\r\nX-Origin: a\r\nX-Origin: b\r\n", text);
        }
    }

    [Theory]
    [InlineData("Cache-Control: no-store", true)]
    [InlineData("Cache-Control: no-store", false)]
    [InlineData("Cache-Control: private, max-age=60", true)]
    [InlineData("Cache-Control: private, max-age=60", false)]
    [InlineData("Cache-Control: max-age=60\r\nSet-Cookie: s=1", true)]
    [InlineData("Cache-Control: max-age=60\r\nSet-Cookie: s=1", false)]
    [InlineData("Cache-Control: max-age=60\r\nVary: *", true)]
    [InlineData("Cache-Control: max-age=60\r\nVary: *", false)]
    public async Task A_response_the_cache_does_not_store_is_forwarded_each_time(string fields, bool fastPath)
    {
        await using var backend = RawBackend.Start(_ => Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\n{fields}\r\nContent-Length: 4\r\n\r\nbody"));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests", "portico.cache.");

        for (var i = 0; i < 2; i++)
        {
            using var response = await NewConnection.GetAsync(proxy, "/api/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Portico; fwd=uri-miss", Assert.Single(response.Headers.GetValues("Cache-Status")));
            Assert.Equal("body", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        Assert.Equal(2, backend.Requests.Count);
        Assert.Equal(0, counters.Value("portico.fastpath.handovers"));
        await counters.AssertFastPathServedAsync(fastPath ? 2 : 0);
        Assert.Equal(2, counters.Value("portico.cache.requests", ("outcome", "miss")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_past_max_object_size_is_relayed_whole_and_not_stored(bool fastPath)
    {
        var chunk = new string('x', 1024);
        await using var backend = await TestBackend.StartAsync("app", async ctx =>
        {
            // No Content-Length: chunked, so the cap is found only while the body streams.
            ctx.Response.Headers.CacheControl = "max-age=60";
            for (var i = 0; i < 4; i++)
            {
                await ctx.Response.WriteAsync(chunk, TestContext.Current.CancellationToken);
                await ctx.Response.Body.FlushAsync(TestContext.Current.CancellationToken);
            }
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, top: "cache: { maxObjectSize: 2KiB }"), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests", "portico.cache.");

        for (var i = 0; i < 2; i++)
        {
            using var response = await NewConnection.GetAsync(proxy, "/big");
            Assert.Equal(4 * 1024, (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Length);
            // Decided at the head, as the full path decides: the body was to be stored.
            Assert.Equal("Portico; fwd=uri-miss; stored", Assert.Single(response.Headers.GetValues("Cache-Status")));
        }

        Assert.Equal(2, backend.Count);
        await counters.AssertFastPathServedAsync(fastPath ? 2 : 0);
    }

    /// <remarks>
    /// A follower used to be cut off, part of the body sent, as soon as the leader's body passed
    /// maxObjectSize; and a request that came once it had (a fresh-clone CI run: the second of two
    /// requests in a row, while the first's flight had not yet landed) was answered with a head and
    /// a broken body. Now the followers that joined get the rest through a window, and a request
    /// that comes once the body's start is let go goes to the backend itself.
    /// </remarks>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_follower_of_a_body_that_grows_past_max_object_size_gets_all_of_it(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var grows = await GrowingBackend.StartAsync(fastPath);
        using var leaderClient = new HttpClient { BaseAddress = grows.Proxy.Address };
        using var followerClient = new HttpClient { BaseAddress = grows.Proxy.Address };

        using var leader = await leaderClient.GetAsync("/grows", HttpCompletionOption.ResponseHeadersRead, ct);
        using var follower = await followerClient.GetAsync("/grows", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal("Portico; fwd=uri-miss; stored", Assert.Single(leader.Headers.GetValues("Cache-Status")));
        Assert.Equal("Portico; fwd=uri-miss; collapsed", Assert.Single(follower.Headers.GetValues("Cache-Status")));
        var leaderBody = await leader.Content.ReadAsStreamAsync(ct);
        var followerBody = await follower.Content.ReadAsStreamAsync(ct);
        await ReadExactlyAsync(leaderBody, 1024, ct);
        await ReadExactlyAsync(followerBody, 1024, ct);

        // Past the 2 KiB cap while the follower follows.
        grows.Rest.SetResult();
        await ReadExactlyAsync(leaderBody, 3 * 1024, ct);
        await ReadExactlyAsync(followerBody, 3 * 1024, ct);
        grows.End.SetResult();

        Assert.Equal(1024, (await new StreamReader(leaderBody).ReadToEndAsync(ct)).Length);
        Assert.Equal(1024, (await new StreamReader(followerBody).ReadToEndAsync(ct)).Length);
        Assert.Equal(1, grows.Backend.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_request_that_comes_once_a_body_past_max_object_size_let_its_start_go_goes_to_the_backend(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var grows = await GrowingBackend.StartAsync(fastPath);
        using var leaderClient = new HttpClient { BaseAddress = grows.Proxy.Address };
        using var leader = await leaderClient.GetAsync("/grows", HttpCompletionOption.ResponseHeadersRead, ct);
        var leaderBody = await leader.Content.ReadAsStreamAsync(ct);
        await ReadExactlyAsync(leaderBody, 1024, ct);
        grows.Rest.SetResult();
        await ReadExactlyAsync(leaderBody, 3 * 1024, ct);

        // Past the cap with nobody following, and the leader's exchange still open: its flight is in the air.
        using var later = await NewConnection.GetAsync(grows.Proxy, "/grows");
        Assert.Equal("Portico; fwd=uri-miss; stored", Assert.Single(later.Headers.GetValues("Cache-Status")));
        Assert.Equal(5 * 1024, (await later.Content.ReadAsStringAsync(ct)).Length);
        Assert.Equal(2, grows.Backend.Count);

        grows.End.SetResult();
        Assert.Equal(1024, (await new StreamReader(leaderBody).ReadToEndAsync(ct)).Length);
    }

    /// <summary>
    /// A backend whose first answer is chunked and grows in steps the test releases: 1 KiB, then
    /// 3 KiB more once <see cref="Rest"/> is set (past the proxy's 2 KiB maxObjectSize), then the
    /// last 1 KiB once <see cref="End"/> is; later answers are the same 5 KiB at once.
    /// </summary>
    private sealed class GrowingBackend : IAsyncDisposable
    {
        private static readonly string Chunk = new('y', 1024);
        private int _answers;

        public required TestBackend Backend { get; init; }

        public required TestProxy Proxy { get; init; }

        public TaskCompletionSource Rest { get; } = new();

        public TaskCompletionSource End { get; } = new();

        public static async Task<GrowingBackend> StartAsync(bool fastPath)
        {
            GrowingBackend? self = null;
            var backend = await TestBackend.StartAsync("app", async ctx =>
            {
                var ct = TestContext.Current.CancellationToken;
                var first = Interlocked.Increment(ref self!._answers) == 1;
                ctx.Response.Headers.CacheControl = "max-age=60";
                for (var i = 0; i < 5; i++)
                {
                    if (first && i is 1 or 4)
                    {
                        await (i == 1 ? self.Rest : self.End).Task;
                    }

                    await ctx.Response.WriteAsync(Chunk, ct);
                    await ctx.Response.Body.FlushAsync(ct);
                }
            });
            var proxy = await TestProxy.StartAsync(Config(backend.Url, top: "cache: { maxObjectSize: 2KiB }"), fastPath: fastPath);
            self = new GrowingBackend { Backend = backend, Proxy = proxy };
            return self;
        }

        public async ValueTask DisposeAsync()
        {
            Rest.TrySetResult();
            End.TrySetResult();
            await Proxy.DisposeAsync();
            await Backend.DisposeAsync();
        }
    }

    private static async Task ReadExactlyAsync(Stream body, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await body.ReadExactlyAsync(buffer, ct);
        Assert.All(buffer, b => Assert.Equal((byte)'y', b));
    }

    /// <remarks>
    /// The full pipeline, run so (PORTICO_FASTPATH=off, a loaded machine), answered the second
    /// request now and then with a whole 200 of the first 100 bytes: its cache stage judged the
    /// body by RequestAborted alone, which is not always set yet when the backend's body breaks
    /// off; it now also reads the forwarder's error.
    /// </remarks>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_the_backend_cuts_off_stores_nothing(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("app", async ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            ctx.Response.ContentLength = 1000;
            await ctx.Response.WriteAsync(new string('x', 100), TestContext.Current.CancellationToken);
            await ctx.Response.Body.FlushAsync(TestContext.Current.CancellationToken);

            // The head and the first bytes reach the proxy before the reset, which would otherwise
            // discard them unread (then both paths answer 502 instead of relaying a cut body).
            await Task.Delay(300, TestContext.Current.CancellationToken);
            ctx.Abort();
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests", "portico.cache.");

        await CutMisses.AssertNothingStoredAsync(proxy, backend, counters, fastPath);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Concurrent_misses_for_a_stored_response_ask_the_backend_once(bool fastPath)
    {
        var (statuses, asked, served) = await ConcurrentAsync("max-age=60", fastPath);

        // The leader stores; a follower is collapsed onto it, or a hit once it is stored.
        Assert.Equal(1, asked);
        Assert.Equal(fastPath ? 4 : 0, served);
        Assert.Single(statuses, s => s == "Portico; fwd=uri-miss; stored");
        Assert.All(statuses, s => Assert.Matches(@"^Portico; (fwd=uri-miss; (stored|collapsed)|hit; ttl=\d+)$", s));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Concurrent_no_store_misses_each_go_to_the_backend_once_the_leader_shares_nothing(bool fastPath)
    {
        var (statuses, asked, served) = await ConcurrentAsync("no-store", fastPath);

        Assert.Equal(4, asked);
        Assert.All(statuses, s => Assert.Equal("Portico; fwd=uri-miss", s));
        Assert.Equal(fastPath ? 4 : 0, served);
    }

    /// <summary>
    /// Four GETs of one URL at once, each on its own connection, against a backend that holds its
    /// first answer until that request has reached it: their Cache-Status values, how many
    /// requests the backend got, and how many the fast path served.
    /// </summary>
    private static async Task<(List<string> Statuses, int Asked, long Served)> ConcurrentAsync(string cacheControl, bool fastPath)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("app", async ctx =>
        {
            await gate.Task;
            ctx.Response.Headers.CacheControl = cacheControl;
            await ctx.Response.WriteAsync("one answer", TestContext.Current.CancellationToken);
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        var requests = Enumerable.Range(0, 4).Select(_ => NewConnection.GetAsync(proxy, "/shared")).ToArray();
        await Poll.UntilAsync(() => backend.Count >= 1, "the leader's request at the backend");
        gate.SetResult();
        var statuses = new List<string>();
        foreach (var response in await Task.WhenAll(requests))
        {
            Assert.Equal("one answer", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            statuses.Add(Assert.Single(response.Headers.GetValues("Cache-Status")));
            response.Dispose();
        }

        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "no request in progress");
        return (statuses, backend.Count, counters.Value("portico.fastpath.requests"));
    }

    /// <summary>A request as the backend got it, less what differs per proxy process (the request id), as sorted lines after the request line.</summary>
    private static string Sent(string head)
    {
        var lines = head.TrimEnd('\r', '\n').Split("\r\n");
        return string.Join("\n", lines.Take(1).Concat(lines.Skip(1).Where(l => !l.StartsWith("X-Request-Id:", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)));
    }

    /// <summary>A response head as sorted fields, less what differs per exchange (Date, Age, X-Request-Id, Cache-Status's ttl).</summary>
    private static string Comparable(string response)
    {
        var head = response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        var fields = head.Skip(1)
            .Where(f => !f.StartsWith("Age:", StringComparison.OrdinalIgnoreCase) && !f.StartsWith("Date:", StringComparison.OrdinalIgnoreCase)
                && !f.StartsWith("X-Request-Id:", StringComparison.OrdinalIgnoreCase))
            .Select(f => Regex.Replace(f, @"ttl=\d+", "ttl=N"))
            .Order(StringComparer.OrdinalIgnoreCase);
        return string.Join("\n", head.Take(1).Concat(fields));
    }

    private static string Body(string response) => response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
}
