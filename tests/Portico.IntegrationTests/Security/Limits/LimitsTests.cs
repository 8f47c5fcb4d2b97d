using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.Observability;

namespace Portico.IntegrationTests.Security.Limits;

/// <summary>Request limits, global and per route, against a backend that records what reaches it.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task Body_size_is_refused_from_Content_Length_at_once_and_while_a_chunked_body_streams()
    {
        var completeBodies = 0;
        await using var backend = await TestBackend.StartAsync("app", async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            Interlocked.Increment(ref completeBodies);
            await ctx.Response.WriteAsync($"got {body.Length}");
        });
        await using var proxy = await TestProxy.StartAsync($$"""
            limits: { maxBodySize: 100 }
            routes:
              small: { match: { pathPrefix: /small }, cluster: app, limits: { maxBodySize: 10 } }
              big: { match: { pathPrefix: /big }, cluster: app, limits: { maxBodySize: 1MiB } }
              other: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;

        var overGlobal = await proxy.Client.PostAsync("/x", new ByteArrayContent(new byte[101]), ct);
        var atGlobal = await proxy.Client.PostAsync("/x", new ByteArrayContent(new byte[100]), ct);
        var overRoute = await proxy.Client.PostAsync("/small", new ByteArrayContent(new byte[11]), ct);
        var routeRaisesIt = await proxy.Client.PostAsync("/big", new ByteArrayContent(new byte[5000]), ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overGlobal.StatusCode);
        Assert.Equal(HttpStatusCode.OK, atGlobal.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overRoute.StatusCode);
        Assert.Equal(HttpStatusCode.OK, routeRaisesIt.StatusCode);
        Assert.Equal(2, backend.Count);

        // No Content-Length: the limit is applied while the body streams through.
        var chunked = await RawHttp.SendAsync(proxy.Address,
            "POST /small HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n");
        Assert.Equal(413, chunked.Status);
        Assert.True(chunked.Closed);
        Assert.Equal(2, completeBodies);
        Assert.Equal(3, proxy.Services.GetRequiredService<TrafficStats>().LocalReasons["body_too_large"]);
    }

    [Fact]
    public async Task Methods_url_length_and_header_limits_answer_405_414_and_431_and_forward_nothing()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            limits: { methods: [GET, POST], maxUrlLength: 100 }
            routes:
              read: { match: { pathPrefix: /read }, cluster: app, limits: { methods: [GET], maxUrlLength: 20, maxHeaderCount: 8, maxHeadersSize: 300 } }
              other: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;

        var delete = await proxy.Client.DeleteAsync("/x", ct);
        var postToRead = await proxy.Client.PostAsync("/read", new StringContent("x"), ct);
        var longGlobal = await proxy.Client.GetAsync("/x?" + new string('a', 100), ct);
        var longRoute = await proxy.Client.GetAsync("/read?" + new string('a', 20), ct);
        using var manyHeaders = new HttpRequestMessage(HttpMethod.Get, "/read");
        for (var i = 0; i < 10; i++)
        {
            manyHeaders.Headers.Add($"X-H{i}", "v");
        }

        var tooMany = await proxy.Client.SendAsync(manyHeaders, ct);
        using var bigHeader = new HttpRequestMessage(HttpMethod.Get, "/read");
        bigHeader.Headers.Add("X-Big", new string('b', 300));
        var tooBig = await proxy.Client.SendAsync(bigHeader, ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        Assert.Equal("GET, POST", string.Join(", ", delete.Content.Headers.Allow));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, postToRead.StatusCode);
        Assert.Equal("GET", string.Join(", ", postToRead.Content.Headers.Allow));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, longGlobal.StatusCode);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, longRoute.StatusCode);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, tooBig.StatusCode);
        Assert.Equal(0, backend.Count);

        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync("/read?q=1", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.PostAsync("/x", new StringContent("x"), ct)).StatusCode);
        Assert.Equal(2, backend.Count);
    }

    [Fact]
    public async Task The_server_wide_ceilings_close_the_connection_with_414_and_431()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            limits: { maxRequestLine: 512, maxHeaderCount: 20, maxHeadersSize: 2KiB }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);

        var longLine = await RawHttp.SendAsync(proxy.Address, $"GET /{new string('a', 600)} HTTP/1.1\r\nHost: a\r\n\r\n");
        var headers = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        for (var i = 0; i < 25; i++)
        {
            headers.Append($"X-H{i}: v\r\n");
        }

        var many = await RawHttp.SendAsync(proxy.Address, headers + "\r\n");
        var large = await RawHttp.SendAsync(proxy.Address, $"GET / HTTP/1.1\r\nHost: a\r\nX-Big: {new string('b', 3000)}\r\n\r\n");

        Assert.Equal((414, true), (longLine.Status, longLine.Closed));
        Assert.Equal((431, true), (many.Status, many.Closed));
        Assert.Equal((431, true), (large.Status, large.Closed));
        Assert.Equal(0, backend.Count);
    }

    [Fact]
    public async Task Only_the_listed_hosts_are_served_and_others_get_421()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            limits: { hosts: [example.com, "*.example.org", "pinned.test:8443"] }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;

        async Task<HttpStatusCode> GetAs(string host)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = host;
            return (await proxy.Client.SendAsync(request, ct)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await GetAs("example.com"));
        Assert.Equal(HttpStatusCode.OK, await GetAs("EXAMPLE.com:8080"));
        Assert.Equal(HttpStatusCode.OK, await GetAs("api.example.org"));
        Assert.Equal(HttpStatusCode.OK, await GetAs("pinned.test:8443"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, await GetAs("example.org"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, await GetAs("evil.test"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, await GetAs("pinned.test"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, await GetAs("127.0.0.1"));
        Assert.Equal(4, backend.Count);
    }

    [Fact]
    public async Task A_reload_applies_request_limits_at_once_and_says_when_server_wide_ones_need_a_restart()
    {
        await using var backend = await TestBackend.StartAsync("app");
        string Config(string limits) => $$"""
            limits: { {{limits}} }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """;
        await using var proxy = await TestProxy.StartAsync(Config("methods: [GET]"));
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await proxy.Client.PostAsync("/", new StringContent("x"), ct)).StatusCode);

        Assert.True((await proxy.RewriteConfigAsync(Config("methods: [GET, POST]"))).Applied);
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.PostAsync("/", new StringContent("x"), ct)).StatusCode);
        Assert.Empty(proxy.Logs.Messages(104));

        Assert.True((await proxy.RewriteConfigAsync(Config("methods: [GET, POST], keepAliveTimeout: 10s"))).Applied);
        Assert.Single(proxy.Logs.Messages(104));
    }
}
