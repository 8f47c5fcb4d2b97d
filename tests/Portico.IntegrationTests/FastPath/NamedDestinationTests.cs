using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// Destinations named by host name, on both paths: resolved for each new connection, the
/// client's Host sent on (preserveHost), a name whose port refuses answered 502 after the same
/// attempts. "localhost" is the only name a test may resolve here (no traffic leaves loopback).
/// </summary>
public sealed class NamedDestinationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_named_destination_is_reached_with_the_clients_host(bool fastPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync($"{ctx.Request.Host}{ctx.Request.Path}"));
        var port = new Uri(backend.Url).Port;
        await using var proxy = await TestProxy.StartAsync(FastRetryTests.Config($"http://localhost:{port}", retries: 0), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");

        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/n{i}");
            request.Headers.Host = "app.example";
            using var response = await proxy.Client.SendAsync(request, ct);
            Assert.Equal($"app.example/n{i}", await response.Content.ReadAsStringAsync(ct));
        }

        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the requests to finish");
        Assert.All(backend.Requests, r => Assert.Equal("app.example", r.Headers["X-Forwarded-Host"]));
        Assert.Equal(fastPath ? 3 : 0, counters.Value("portico.fastpath.requests"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_named_destination_that_refuses_is_retried_on_the_next_and_counted_once(bool fastPath)
    {
        await using var backend = await TestBackend.StartAsync("b");
        var closed = FreePorts.Take();
        await using var proxy = await TestProxy.StartAsync(FastRetryTests.Config($"http://localhost:{closed}, http://localhost:{new Uri(backend.Url).Port}", retries: 1), fastPath);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.retries", "portico.active.requests");

        // Round-robin tries the refusing one within two requests.
        for (var i = 0; i < 2; i++)
        {
            using var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the requests to finish");
        Assert.Equal(1, counters.Value("portico.retries"));
        Assert.Equal(2, backend.Count);
        Assert.Equal(fastPath ? 2 : 0, counters.Value("portico.fastpath.requests"));
    }
}
