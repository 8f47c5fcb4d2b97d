using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;
using static Portico.IntegrationTests.Caching.CacheAssert;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// RFC 9111 §3.2 (and §4.3.4): a 304 to a revalidation updates the stored response's fields with
/// its own, except the ones §3.2 keeps out: those §3.1 does not store (here `private="F"` fields,
/// §5.2.2.7), Content-Length, and the fields the stored body depends on (Content-Encoding).
/// </summary>
public sealed class Rfc9111Section3_2UpdateTests
{
    /// <summary>The first GET gets "hello", stale on arrival with ETag "v1"; a revalidation gets a 304 with <paramref name="update"/>'s fields.</summary>
    private static Func<HttpContext, Task> Origin(Action<HttpResponse> update) => ctx =>
    {
        if (ctx.Request.Headers.IfNoneMatch == "\"v1\"")
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            ctx.Response.Headers.ETag = "\"v1\"";
            ctx.Response.Headers.CacheControl = "max-age=600";
            update(ctx.Response);
            return Task.CompletedTask;
        }

        return CacheOrigin.Fresh("hello", ("Cache-Control", "max-age=60"), ("Age", "100"), ("ETag", "\"v1\""), ("X-Version", "1"))(ctx);
    };

    /// <summary>Stores the response, has it revalidated (the 304 carrying <paramref name="update"/>'s fields), and returns the hit after.</summary>
    private static async Task<HttpResponseMessage> HitAfterRevalidationAsync(bool fastPath, Action<HttpResponse> update)
    {
        await using var o = await CacheOrigin.StartAsync(fastPath: fastPath);
        o.Handler = Origin(update);
        await o.GetAsync("/a");
        await o.GetAsync("/a");
        var hit = await o.GetAsync("/a");
        Assert.True(IsHit(hit));
        Assert.Equal(2, o.Hits);
        return hit;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Fields_of_the_304_replace_the_stored_ones(bool fastPath)
    {
        var hit = await HitAfterRevalidationAsync(fastPath, r =>
        {
            r.Headers["X-Version"] = "2";
            r.Headers["X-New"] = "added";
            r.Headers.ContentType = "text/plain; charset=utf-8";
        });

        Assert.Equal("2", Header(hit, "X-Version"));
        Assert.Equal("added", Header(hit, "X-New"));
        Assert.Equal("text/plain; charset=utf-8", Header(hit, "Content-Type"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Fields_the_304_marks_private_are_not_stored(bool fastPath)
    {
        var hit = await HitAfterRevalidationAsync(fastPath, r =>
        {
            r.Headers.CacheControl = "max-age=600, private=\"X-User\"";
            r.Headers["X-User"] = "alice";
            r.Headers["X-Version"] = "2";
        });

        Assert.Equal("2", Header(hit, "X-Version"));
        Assert.Equal("", Header(hit, "X-User"));
    }

    /// <summary>
    /// Scripted bytes, since a Kestrel origin does not send a 304 with these: the origin's 304 says
    /// Content-Length 999 and Content-Encoding gzip, which describe no stored body (§3.2: not updated).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Content_length_and_content_encoding_of_the_304_do_not_replace_the_stored_ones(bool fastPath)
    {
        await using var backend = RawBackend.Start(head => Encoding.ASCII.GetBytes(head.Contains("If-None-Match", StringComparison.OrdinalIgnoreCase)
            ? "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nCache-Control: max-age=600\r\nContent-Length: 999\r\nContent-Encoding: gzip\r\nX-Version: 2\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nCache-Control: max-age=60\r\nAge: 100\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Version: 1\r\n\r\nhello"));
        await using var proxy = await TestProxy.StartAsync(CacheOrigin.ConfigFor(backend.Url, "cache: {}"), fastPath);
        var ct = TestContext.Current.CancellationToken;
        await proxy.Client.GetAsync("/a", ct);
        using var revalidated = await proxy.Client.GetAsync("/a", ct);
        using var hit = await proxy.Client.GetAsync("/a", ct);

        Assert.StartsWith("Portico; fwd=stale; fwd-status=304; stored", Status(revalidated), StringComparison.Ordinal);
        Assert.True(IsHit(hit));
        foreach (var response in new[] { revalidated, hit })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("2", Header(response, "X-Version"));
            Assert.Equal("5", Header(response, "Content-Length"));
            Assert.Equal("", Header(response, "Content-Encoding"));
            Assert.Equal("hello", await BodyAsync(response));
        }

        Assert.Equal(2, backend.Requests.Count);
    }
}
