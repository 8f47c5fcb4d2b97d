using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;
using Yarp.ReverseProxy.Model;

namespace Portico.IntegrationTests.Health;

/// <summary>
/// What a client or its request causes never counts against a backend (Forwarding/FailureCauses):
/// passive health ejects only for the destination's own failures. Each test runs on the full
/// path, where YARP reports these failures; the fast path takes no request with a body.
/// </summary>
public sealed class RequestFaultTests
{
    private static string Config(string url, int consecutiveFailures = 5, string extra = "") => $$"""
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app:
            destinations: [{{url}}]
            timeout: 1s
            healthCheck:
              passive: { consecutiveFailures: {{consecutiveFailures}}, reactivateAfter: 30s }
        {{extra}}
        """;

    [Fact]
    public async Task Five_requests_with_non_ascii_header_values_are_forwarded_and_the_only_destination_stays_in_service()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("app", ctx => ctx.Response.WriteAsync($"cookie={ctx.Request.Headers.Cookie}"));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: false);
        var request = Encoding.UTF8.GetBytes("GET /pref HTTP/1.1\r\nHost: localhost\r\nCookie: pref=\u4f60\u597d\r\nConnection: close\r\n\r\n");

        for (var i = 0; i < 5; i++)
        {
            var response = await RawHttp.SendAsync(proxy.Address, request);
            Assert.Equal(200, response.Status);

            // The backend (Kestrel, which reads UTF-8) got the bytes the client sent.
            Assert.Contains("cookie=pref=\u4f60\u597d", Encoding.UTF8.GetString(response.Bytes), StringComparison.Ordinal);
        }

        using var good = await proxy.Client.GetAsync("/after", ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, good.StatusCode);
        Assert.True(proxy.State.TryGetCluster("app", out var cluster));
        Assert.NotEqual(DestinationHealth.Unhealthy, Assert.Single(cluster.Destinations.Values).Health.Passive);
    }

    [Fact]
    public async Task A_client_that_stalls_its_body_past_the_timeout_gets_408_and_the_destination_stays_in_service()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("app", async ctx =>
        {
            await ctx.Request.Body.CopyToAsync(Stream.Null, ctx.RequestAborted);
            await ctx.Response.WriteAsync("read", ctx.RequestAborted);
        });
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, consecutiveFailures: 1, extra: "limits:\n  minBodyRate: 0"), fastPath: false);

        // Half the announced body, then nothing: the proxy waits on the client, not on the backend.
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nhello"u8.ToArray(), ct);
        var response = await RawHttp.ReadToCloseAsync(stream, waitSeconds: 15);

        // YARP's body copy reports the cancelled read from the client (RequestBodyClient) and answers 408.
        Assert.Equal(408, response.Status);
        using var good = await proxy.Client.GetAsync("/after", ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, good.StatusCode);
        Assert.True(proxy.State.TryGetCluster("app", out var cluster));
        Assert.NotEqual(DestinationHealth.Unhealthy, Assert.Single(cluster.Destinations.Values).Health.Passive);
    }
}
