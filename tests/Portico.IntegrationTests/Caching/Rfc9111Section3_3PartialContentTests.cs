using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// RFC 9111 §3.3 (storing a 206), §3.4 (combining parts) and RFC 9110 §14 / §13.1.5 (ranges and
/// If-Range answered from a stored part), against an origin that serves ranges (<see cref="RangedOrigin"/>).
/// The representation is the 20 letters a–t; its entity-tag "v1".
/// </summary>
public sealed class Rfc9111Section3_3PartialContentTests
{
    private const string Letters = "abcdefghijklmnopqrst";

    private static async Task<(CacheOrigin Proxy, RangedOrigin Origin)> StartAsync(bool? fastPath = null)
    {
        var proxy = await CacheOrigin.StartAsync(fastPath: fastPath);
        var origin = new RangedOrigin(Letters, "\"v1\"");
        proxy.Handler = origin.HandleAsync;
        return (proxy, origin);
    }

    // A proxy whose cache holds the part the origin sent for `range`.
    private static async Task<(CacheOrigin Proxy, RangedOrigin Origin)> StoredPartAsync(string range, bool? fastPath = null)
    {
        var (o, origin) = await StartAsync(fastPath);
        using var size = new MetricCollector<long>(o.Proxy.Services.GetRequiredService<IMeterFactory>(), Portico.Caching.CacheMetrics.MeterName, "portico.cache.size");
        await o.GetAsync("/a", ("Range", range));
        // The client has the part once its last byte is sent, which may be before the cache
        // holds it: wait for the memory tier to hold bytes, so the next request finds it.
        await Poll.UntilAsync(
            () =>
            {
                size.RecordObservableInstruments();
                return size.GetMeasurementSnapshot().Any(m => m.Value > 0 && Equals(m.Tags["tier"], "memory"));
            },
            "the part to be stored");
        return (o, origin);
    }

    // A range answered from the store: a hit with `body`.
    private static async Task AssertHitAsync(CacheOrigin o, string range, string body)
    {
        var hit = await o.GetAsync("/a", ("Range", range));
        Assert.True(IsHit(hit), Status(hit));
        Assert.Equal(HttpStatusCode.PartialContent, hit.StatusCode);
        Assert.Equal(body, await BodyAsync(hit));
    }

    private static string? RangeSeen(CacheOrigin o) => o.Last.Headers.GetValueOrDefault("Range");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task S3_3_a_206_is_stored_and_a_range_it_holds_is_answered_from_it(bool fastPath)
    {
        var (o, _) = await StartAsync(fastPath);
        await using var _o = o;
        var first = await o.GetAsync("/a", ("Range", "bytes=0-9"));
        Assert.Equal(HttpStatusCode.PartialContent, first.StatusCode);
        Assert.Equal("Portico; fwd=uri-miss; stored", Status(first));

        var hit = await o.GetAsync("/a", ("Range", "bytes=2-5"));

        Assert.Equal(HttpStatusCode.PartialContent, hit.StatusCode);
        Assert.Equal("cdef", await BodyAsync(hit));
        Assert.Equal("bytes 2-5/20", hit.Content.Headers.ContentRange?.ToString());
        Assert.Equal(4, hit.Content.Headers.ContentLength);
        Assert.True(IsHit(hit), Status(hit));
        Assert.Equal("\"v1\"", Header(hit, "ETag"));
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S3_3_a_range_past_the_complete_length_of_a_part_gets_416_from_it()
    {
        var (o, _) = await StoredPartAsync("bytes=0-9");
        await using var _o = o;

        var response = await o.GetAsync("/a", ("Range", "bytes=30-40"));

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */20", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(1, o.Hits);
    }

    [Fact]
    public async Task S3_3_a_request_without_range_for_a_part_goes_to_the_origin_and_its_200_replaces_the_part()
    {
        var (o, _) = await StoredPartAsync("bytes=0-9");
        await using var _o = o;

        var whole = await o.GetAsync("/a");

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(Letters, await BodyAsync(whole));
        Assert.Equal("Portico; fwd=partial; stored", Status(whole));
        Assert.Null(RangeSeen(o));
        var hit = await o.GetAsync("/a");
        Assert.True(IsHit(hit), Status(hit));
        Assert.Equal(Letters, await BodyAsync(hit));
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S3_3_the_fast_path_hands_a_plain_get_for_a_part_to_the_full_path()
    {
        // The fast path answers fresh hits on a connection's first request; the part is fresh and in memory.
        var (o, _) = await StoredPartAsync("bytes=0-9", fastPath: true);
        await using var _o = o;
        using var counters = new ProxyCounters(o.Proxy, "portico.fastpath.");
        var host = o.Proxy.Address.Authority;
        var request = $"GET /a HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n";

        var whole = await RawHttp.SendAsync(o.Proxy.Address, request);

        Assert.Equal(200, whole.Status);
        Assert.Contains("\r\nCache-Status: Portico; fwd=partial; stored\r\n", whole.Text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n" + Letters, whole.Text, StringComparison.Ordinal);
        Assert.Equal(1, counters.Value("portico.fastpath.handovers", ("reason", "cache")));

        // The complete response that replaced the part is the fast path's to answer.
        var hit = await RawHttp.SendAsync(o.Proxy.Address, request);
        Assert.Contains("\r\nCache-Status: Portico; hit; ttl=", hit.Text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n" + Letters, hit.Text, StringComparison.Ordinal);
        await Poll.UntilAsync(() => counters.Value("portico.fastpath.requests") == 1, "the fast path to count its hit");
        Assert.Equal(2, o.Hits);
    }

    [Theory]
    [InlineData("bytes=0-9", "bytes=10-19", "bytes=10-19", "klmnopqrst")]
    [InlineData("bytes=0-11", "bytes=8-19", "bytes=12-19", "ijklmnopqrst")]
    [InlineData("bytes=10-19", "bytes=0-14", "bytes=0-9", "abcdefghijklmno")]
    public async Task S3_4_two_parts_combine_into_a_complete_response(string first, string second, string asked, string body)
    {
        var (o, _) = await StoredPartAsync(first);
        await using var _o = o;

        var combined = await o.GetAsync("/a", ("Range", second));

        Assert.Equal(HttpStatusCode.PartialContent, combined.StatusCode);
        Assert.Equal(body, await BodyAsync(combined));
        Assert.Equal(asked, RangeSeen(o));
        Assert.Equal("\"v1\"", o.Last.Headers.GetValueOrDefault("If-Range"));
        Assert.StartsWith("Portico; fwd=partial; fwd-status=206; stored", Status(combined), StringComparison.Ordinal);

        var whole = await o.GetAsync("/a");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.True(IsHit(whole), Status(whole));
        Assert.Equal(Letters, await BodyAsync(whole));
        Assert.Equal(20, whole.Content.Headers.ContentLength);
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S3_4_a_range_partly_held_asks_the_origin_only_for_the_missing_bytes()
    {
        var (o, _) = await StoredPartAsync("bytes=0-4");
        await using var _o = o;
        await o.GetAsync("/a", ("Range", "bytes=15-19"));

        var response = await o.GetAsync("/a", ("Range", "bytes=2-17"));

        Assert.Equal("bytes=5-14", RangeSeen(o));
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("cdefghijklmnopqr", await BodyAsync(response));
        Assert.Equal("bytes 2-17/20", response.Content.Headers.ContentRange?.ToString());
        var whole = await o.GetAsync("/a");
        Assert.True(IsHit(whole), Status(whole));
        Assert.Equal(Letters, await BodyAsync(whole));
    }

    [Fact]
    public async Task S3_4_a_changed_representation_comes_back_whole_and_replaces_the_part()
    {
        var (o, origin) = await StoredPartAsync("bytes=0-9");
        await using var _o = o;
        (origin.Body, origin.ETag) = (Letters.ToUpperInvariant(), "\"v2\"");

        var response = await o.GetAsync("/a", ("Range", "bytes=5-14"));

        // If-Range "v1" no longer holds at the origin: it sends the whole new representation.
        Assert.Equal("bytes=10-14", RangeSeen(o));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Letters.ToUpperInvariant(), await BodyAsync(response));
        await AssertHitAsync(o, "bytes=0-1", "AB");
        Assert.Equal(2, o.Hits);
    }

    [Fact]
    public async Task S3_4_a_206_with_another_validator_replaces_the_part_rather_than_joining_it()
    {
        var (o, origin) = await StoredPartAsync("bytes=0-9");
        await using var _o = o;
        (origin.Body, origin.ETag, origin.IgnoreIfRange) = (Letters.ToUpperInvariant(), "\"v2\"", true);

        var other = await o.GetAsync("/a", ("Range", "bytes=10-19"));
        Assert.Equal("KLMNOPQRST", await BodyAsync(other));

        // v1's bytes 0-9 are gone: joined with v2's 10-19 they would be neither.
        await AssertHitAsync(o, "bytes=12-13", "MN");
        var gone = await o.GetAsync("/a", ("Range", "bytes=0-1"));
        Assert.False(IsHit(gone), Status(gone));
        Assert.Equal("AB", await BodyAsync(gone));
        Assert.Equal(3, o.Hits);
    }

    [Fact]
    public async Task S3_4_a_206_never_replaces_a_stored_200()
    {
        var (o, origin) = await StartAsync();
        await using var _o = o;
        var gate = new TaskCompletionSource();
        origin.PartGate = gate.Task;
        var ct = TestContext.Current.CancellationToken;

        // A range request reaches the origin first; the whole response is stored before its 206 arrives.
        var part = o.GetAsync("/a", ("Range", "bytes=0-4"));
        await Poll.UntilAsync(() => o.Hits == 1, "the range request to reach the origin");
        Assert.Equal(HttpStatusCode.OK, (await o.GetAsync("/a")).StatusCode);

        // Its entry may be placed after its client has the last byte: wait for it (read from the
        // store, as a GET that missed would reach the origin), or the later 206 could come first.
        using var admin = new HttpClient { BaseAddress = o.Proxy.AdminAddress };
        await Poll.UntilAsync(
            async () => await admin.CacheEntriesAsync(ct) == 1,
            "the whole response to be stored");
        origin.ETag = "\"v2\"";
        gate.SetResult();
        Assert.Equal(HttpStatusCode.PartialContent, (await part.WaitAsync(ct)).StatusCode);

        var whole = await o.GetAsync("/a");
        Assert.True(IsHit(whole), Status(whole));
        Assert.Equal(Letters, await BodyAsync(whole));
        Assert.Equal("\"v1\"", Header(whole, "ETag"));
        Assert.Equal(2, o.Hits);
    }

    [Theory]
    [InlineData("\"v1\"", HttpStatusCode.PartialContent, "cdef")]
    [InlineData("\"v0\"", HttpStatusCode.OK, Letters)]
    public async Task S3_4_if_range_is_weighed_against_the_part(string ifRange, HttpStatusCode expected, string body)
    {
        var (o, _) = await StoredPartAsync("bytes=0-9");
        await using var _o = o;

        var response = await o.GetAsync("/a", ("Range", "bytes=2-5"), ("If-Range", ifRange));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(body, await BodyAsync(response));
        Assert.Equal(expected == HttpStatusCode.OK ? 2 : 1, o.Hits);
        if (expected == HttpStatusCode.OK)
        {
            // The origin's whole response replaced the part.
            Assert.True(IsHit(await o.GetAsync("/a")));
        }
    }

    [Fact]
    public async Task S3_3_a_stale_part_is_revalidated_for_the_range_asked()
    {
        await using var o = await CacheOrigin.StartAsync();
        var origin = new RangedOrigin(Letters, "\"v1\"", "max-age=0");
        o.Handler = async ctx =>
        {
            if (ctx.Request.Headers.IfNoneMatch == "\"v1\"")
            {
                ctx.Response.StatusCode = StatusCodes.Status304NotModified;
                ctx.Response.Headers.ETag = "\"v1\"";
                ctx.Response.Headers.CacheControl = "max-age=60";
                return;
            }

            await origin.HandleAsync(ctx);
        };
        await o.GetAsync("/a", ("Range", "bytes=0-9"));

        var revalidated = await o.GetAsync("/a", ("Range", "bytes=2-5"));

        Assert.Equal("bytes=2-5", RangeSeen(o));
        Assert.Equal("\"v1\"", o.Last.Headers.GetValueOrDefault("If-None-Match"));
        Assert.Equal(HttpStatusCode.PartialContent, revalidated.StatusCode);
        Assert.Equal("cdef", await BodyAsync(revalidated));
        Assert.StartsWith("Portico; fwd=stale; fwd-status=304; stored", Status(revalidated), StringComparison.Ordinal);
        await AssertHitAsync(o, "bytes=6-9", "ghij");
    }

    [Fact]
    public async Task S3_3_a_part_with_a_weak_validator_is_not_stored()
    {
        await using var o = await CacheOrigin.StartAsync();
        var origin = new RangedOrigin(Letters, "W/\"v1\"");
        o.Handler = origin.HandleAsync;
        await o.GetAsync("/a", ("Range", "bytes=0-9"));

        var again = await o.GetAsync("/a", ("Range", "bytes=0-9"));

        Assert.False(IsHit(again), Status(again));
        Assert.Equal("Portico; fwd=uri-miss", Status(again));
        Assert.Equal(2, o.Hits);
    }
}
