using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Compression;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// A cached route that compresses, on a proxy with and one without the fast path: its misses are
/// stored as the encoded variant the compression stage makes (Content-Encoding, Vary, the weakened
/// ETag, no Content-Length or Accept-Ranges of the origin's) for a gzip client and as identity for
/// a client without Accept-Encoding, each answering its own kind of client afterwards; the
/// answers, the backend's requests and the cache's counts are the same on both; a body the backend
/// cuts off is stored on neither. Each request goes on a new connection, where the fast path may
/// take it; its request counter shows which path served (the misses too, where the fast path's
/// store records the encoder's output).
/// </summary>
public sealed class CompressedMissBothPathsTests
{
    private static readonly string Text = string.Concat(Enumerable.Range(0, 200).Select(i => $"line {i} of a text the route compresses\n"));

    private static readonly string[] PerExchange = ["Date", "Age", "X-Request-Id"];

    private static string Config(string backend) => $$"""
        routes:
          site: { match: { pathPrefix: / }, cluster: app, cache: {}, compression: { encodings: [gzip] } }
        clusters:
          app: { destinations: [{{backend}}] }
        """;

    [Fact]
    public async Task Each_coding_is_stored_as_compression_made_it_and_answers_its_clients_alike_on_both_paths()
    {
        var origin = $"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nETag: \"v1\"\r\nAccept-Ranges: bytes\r\nContent-Type: text/plain\r\nContent-Length: {Text.Length}\r\n\r\n{Text}";
        await using var backend = RawBackend.Start(_ => Encoding.ASCII.GetBytes(origin));
        (string, string)[] gzip = [("Accept-Encoding", "gzip")];
        var steps = new[] { gzip, [], gzip, [], gzip };
        var answers = new Dictionary<bool, List<(string Head, byte[] Body)>>();
        var seen = new Dictionary<bool, string[]>();
        foreach (var fastPath in new[] { true, false })
        {
            await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: fastPath);
            using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests", "portico.cache.");
            var before = backend.Requests.Count;
            answers[fastPath] = [];
            foreach (var fields in steps)
            {
                using var response = await NewConnection.GetAsync(proxy, "/page", fields);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                answers[fastPath].Add((Comparable(response), await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)));
            }

            // Both misses on the fast path where it is on: none handed over.
            await counters.AssertFastPathServedAsync(fastPath ? steps.Length : 0);
            Assert.Equal(0, counters.Value("portico.fastpath.handovers"));
            Assert.Equal(2, counters.Value("portico.cache.requests", ("outcome", "miss")));
            Assert.Equal(3, counters.Value("portico.cache.requests", ("outcome", "hit")));
            seen[fastPath] = backend.Requests.Skip(before).Select(r => AcceptEncoding(r.HeadText)).ToArray();
        }

        // The backend was asked once per coding, for that coding alone, by both proxies.
        Assert.Equal(["gzip", "identity"], seen[true]);
        Assert.Equal(seen[false], seen[true]);
        for (var i = 0; i < steps.Length; i++)
        {
            Assert.Equal(answers[false][i].Head, answers[true][i].Head);
            Assert.Equal(Decoded(answers[false][i]), Decoded(answers[true][i]));
        }

        var fast = answers[true];
        Assert.Equal(Text, Decoded(fast[0]));
        Assert.Equal(Text, Decoded(fast[1]));
        Assert.Contains("Cache-Status: Portico; fwd=uri-miss; stored\n", fast[0].Head);
        Assert.Contains("Content-Encoding: gzip\n", fast[0].Head);
        Assert.Contains("ETag: W/\"v1\"\n", fast[0].Head);
        Assert.DoesNotContain("Accept-Ranges", fast[0].Head);
        Assert.Contains("Cache-Status: Portico; fwd=vary-miss; stored\n", fast[1].Head);
        Assert.DoesNotContain("Content-Encoding", fast[1].Head);
        Assert.Contains("ETag: \"v1\"\n", fast[1].Head);
        Assert.Equal(Encoding.ASCII.GetBytes(Text), fast[1].Body);
        foreach (var (head, _) in fast)
        {
            Assert.Contains("Vary: Accept-Encoding\n", head);
        }

        // Each hit is the bytes its miss sent: the gzip client's the encoder's output, recorded as it went out.
        Assert.Contains("Cache-Status: Portico; hit; ttl=N\n", fast[2].Head);
        Assert.Contains("Content-Encoding: gzip\n", fast[2].Head);
        Assert.Equal(fast[0].Body, fast[2].Body);
        Assert.Equal(fast[0].Body, fast[4].Body);
        Assert.DoesNotContain("Content-Encoding", fast[3].Head);
        Assert.Equal(fast[1].Body, fast[3].Body);
    }

    [Fact]
    public async Task A_head_that_reaches_the_backend_freshens_the_stored_encoded_variant_alike_on_both_paths()
    {
        // GET: the text, stale on arrival (Age past max-age), ETag "v1", X-Version 1. HEAD: the
        // same validators and length, fresh for 600 s, X-Version 2. Compression weakens the ETag
        // and drops the length of both alike, so the stored gzip variant takes the HEAD's fields
        // (RFC 9111 §4.3.5) and keeps its encoded body.
        await using var backend = await TestBackend.StartAsync("app", ctx =>
        {
            var head = HttpMethods.IsHead(ctx.Request.Method);
            ctx.Response.ContentType = "text/plain";
            ctx.Response.Headers.ETag = "\"v1\"";
            ctx.Response.Headers.CacheControl = head ? "max-age=600" : "max-age=60";
            ctx.Response.Headers["X-Version"] = head ? "2" : "1";
            ctx.Response.ContentLength = Text.Length;
            if (head)
            {
                return Task.CompletedTask;
            }

            ctx.Response.Headers.Age = "100";
            return ctx.Response.WriteAsync(Text, TestContext.Current.CancellationToken);
        });
        (string, string)[] gzip = [("Accept-Encoding", "gzip")];
        var answers = new Dictionary<bool, List<(string Head, byte[] Body)>>();
        foreach (var fastPath in new[] { true, false })
        {
            await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: fastPath);
            using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests", "portico.cache.");
            answers[fastPath] = [];
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head, HttpMethod.Get })
            {
                using var response = await NewConnection.SendAsync(proxy, method, "/page", gzip);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                answers[fastPath].Add((Comparable(response), await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)));
            }

            await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the requests finished");
            // The fast path takes the GETs (a miss, then a hit); the HEAD finds the entry stale, and
            // a stale entry is the full pipeline's to revalidate or refresh.
            Assert.Equal((fastPath ? 2 : 0, fastPath ? 1 : 0), (counters.Value("portico.fastpath.requests"), counters.Value("portico.fastpath.handovers")));
            Assert.Equal(1, counters.Value("portico.cache.requests", ("outcome", "hit")));
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(answers[false][i].Head, answers[true][i].Head);
            Assert.Equal(answers[false][i].Body, answers[true][i].Body);
        }

        var fast = answers[true];
        Assert.Contains("X-Version: 2\n", fast[1].Head);
        Assert.Contains("ETag: W/\"v1\"\n", fast[1].Head);
        Assert.Empty(fast[1].Body);
        Assert.Contains("Cache-Status: Portico; hit; ttl=N\n", fast[2].Head);
        Assert.Contains("X-Version: 2\n", fast[2].Head);
        Assert.Contains("Cache-Control: max-age=600\n", fast[2].Head);
        Assert.Contains("Content-Encoding: gzip\n", fast[2].Head);
        Assert.Equal(fast[0].Body, fast[2].Body);
        Assert.Equal(Text, Decoded(fast[2]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_encoded_body_the_backend_cuts_off_stores_nothing(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("app", async ctx =>
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
            ctx.Response.ContentType = "text/plain";
            ctx.Response.ContentLength = 10_000;
            await ctx.Response.WriteAsync(Text[..2000], TestContext.Current.CancellationToken);
            await ctx.Response.Body.FlushAsync(TestContext.Current.CancellationToken);

            // The head and the first bytes reach the proxy before the reset (FastMissBothPathsTests).
            await Task.Delay(300, TestContext.Current.CancellationToken);
            ctx.Abort();
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests", "portico.cache.");

        await CutMisses.AssertNothingStoredAsync(proxy, backend, counters, fastPath, ("Accept-Encoding", "gzip"));
    }

    /// <summary>The Accept-Encoding a request reached the backend with.</summary>
    private static string AcceptEncoding(string head)
        => Regex.Match(head, @"\r\nAccept-Encoding: *([^\r]*)\r\n", RegexOptions.IgnoreCase).Groups[1].Value;

    /// <summary>A response's status and sorted fields, less what differs per exchange (Date, Age, X-Request-Id, Cache-Status's ttl).</summary>
    private static string Comparable(HttpResponseMessage response)
    {
        var fields = response.Headers.Concat(response.Content.Headers)
            .Where(h => !PerExchange.Contains(h.Key, StringComparer.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Select(v => $"{h.Key}: {Regex.Replace(v, @"ttl=\d+", "ttl=N")}\n"))
            .Order(StringComparer.OrdinalIgnoreCase);
        return $"{(int)response.StatusCode}\n{string.Concat(fields)}";
    }

    private static string Decoded((string Head, byte[] Body) answer)
        => Encoding.ASCII.GetString(answer.Head.Contains("Content-Encoding: gzip\n", StringComparison.Ordinal) ? CompressionTests.Decode("gzip", answer.Body) : answer.Body);
}
