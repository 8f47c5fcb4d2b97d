using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// Interim (1xx) responses from the origin: 100, 102 and 103 Early Hints before the final 200.
/// Neither path relays them: YARP's HttpClient reads and drops every 1xx but 101 and Kestrel has
/// no API to send one (dotnet/aspnetcore#27851), and the fast path drops them as the full path
/// does (ResponseHead.Scan). What the tests pin is RFC 9111 §3's part: only the final response
/// is stored, none of the interim fields reach it, and a hit is that final response.
/// </summary>
public sealed class InterimResponsesTests
{
    private const string Interim =
        "HTTP/1.1 100 Continue\r\n\r\n"
        + "HTTP/1.1 102 Processing\r\n\r\n"
        + "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\nX-Interim: early\r\n\r\n";

    private const string Final =
        "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

    private static Task<RawResponse> GetAsync(TestProxy proxy)
        => RawHttp.SendAsync(proxy.Address, "GET /a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

    private static void IsTheFinalResponseOnly(RawResponse response)
    {
        Assert.Equal(1, response.ResponseCount);
        Assert.Equal(200, response.Status);
        Assert.DoesNotContain("Link:", response.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("X-Interim", response.Text, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("\r\n\r\nhello", response.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Interim_responses_are_not_stored_and_hits_are_the_final_response(bool fastPath)
    {
        await using var backend = RawBackend.Start(_ => Encoding.ASCII.GetBytes(Interim + Final));
        await using var proxy = await TestProxy.StartAsync(CacheOrigin.ConfigFor(backend.Url, "cache: {}"), fastPath);

        var miss = await GetAsync(proxy);
        var hit = await GetAsync(proxy);

        IsTheFinalResponseOnly(miss);
        Assert.Contains("Cache-Status: Portico; fwd=uri-miss; stored", miss.Text, StringComparison.Ordinal);
        IsTheFinalResponseOnly(hit);
        Assert.Contains("Cache-Status: Portico; hit", hit.Text, StringComparison.Ordinal);
        Assert.Single(backend.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Interim_responses_are_dropped_on_an_uncached_route(bool fastPath)
    {
        await using var backend = RawBackend.Start(_ => Encoding.ASCII.GetBytes(Interim + Final));
        await using var proxy = await TestProxy.StartAsync(CacheOrigin.ConfigFor(backend.Url, ""), fastPath);

        IsTheFinalResponseOnly(await GetAsync(proxy));
    }

    /// <summary>
    /// The 1xx a client can get: a request with `Expect: 100-continue` on a cached route (an unsafe
    /// method, forwarded) gets Kestrel's own 100 Continue once the proxy reads its body, and only then
    /// sends the body; the final response follows. (Such a request is never the fast path's.)
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_expecting_100_continue_gets_it_before_sending_its_body(bool fastPath)
    {
        await using var o = await CacheOrigin.StartAsync(fastPath: fastPath);
        o.Handler = async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync(ctx.RequestAborted);
            ctx.Response.StatusCode = 201;
            await ctx.Response.WriteAsync("got " + body, ctx.RequestAborted);
        };
        var ct = TestContext.Current.CancellationToken;
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(o.Proxy.Address.Host, o.Proxy.Address.Port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"), ct);

        var interim = new StringBuilder();
        var buffer = new byte[1024];
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(TimeSpan.FromSeconds(15));
        while (!interim.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, wait.Token);
            Assert.NotEqual(0, n);
            interim.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }

        // Nothing else can have come: the origin answers only once it has the body.
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", interim.ToString());
        await stream.WriteAsync("hello"u8.ToArray(), ct);
        var final = await RawHttp.ReadToCloseAsync(stream, 15);

        Assert.Equal(201, final.Status);
        Assert.Contains("got hello", final.Text, StringComparison.Ordinal);
        Assert.Equal(1, o.Hits);
    }
}
