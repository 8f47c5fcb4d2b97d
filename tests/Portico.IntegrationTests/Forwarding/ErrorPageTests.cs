using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Forwarding;

public sealed class ErrorPageTests
{
    [Fact]
    public async Task Unreachable_backend_gives_502_page_that_names_no_backend()
    {
        var port = FreePorts.Take();
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [http://127.0.0.1:{port}] {"}"}
            """);

        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("502 Bad Gateway", body);
        Assert.DoesNotContain(port.ToString(System.Globalization.CultureInfo.InvariantCulture), body);
        Assert.DoesNotContain("127.0.0.1", body);
        Assert.Contains(proxy.Logs.Messages(1001), m => m.Contains($"127.0.0.1:{port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Json_clients_get_a_json_error()
    {
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [http://127.0.0.1:{FreePorts.Take()}] {"}"}
            """);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("Accept", "application/json");

        var response = await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.StartsWith("{\"status\":502,\"error\":\"Bad Gateway\"", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Cluster_timeout_gives_504()
    {
        await using var backend = await TestBackend.StartAsync("slow", async ctx =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted);
            await ctx.Response.WriteAsync("late");
        });
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} timeout: 300ms, destinations: [{backend.Url}] {"}"}
            """);

        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("504 Gateway Timeout", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Route_timeout_gives_504()
    {
        await using var backend = await TestBackend.StartAsync("slow", async ctx =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted);
            await ctx.Response.WriteAsync("late");
        });
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app, timeout: 300ms {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """);

        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
    }

    [Fact]
    public async Task Every_destination_down_gives_a_prompt_503()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.StatusCode = ctx.Request.Path == "/health" ? 500 : 200;
            return Task.CompletedTask;
        });
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app:
                destinations: [{backend.Url}]
                healthCheck:
                  active: {"{"} path: /health, interval: 100ms, unhealthyThreshold: 1 {"}"}
            """);
        await Poll.UntilAsync(() => proxy.State.TryGetCluster("app", out var c) && c.DestinationsState.AvailableDestinations.Count == 0, "the destination to be marked unhealthy");

        var watch = Stopwatch.StartNew();
        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        // Prompt: not held for a connect attempt (connectTimeout, 10 s by default). 5 s stays well
        // below that and leaves room for a loaded machine's stalls.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Contains("503 Service Unavailable", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task No_matching_route_gives_404_page()
    {
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              api: {"{"} match: {"{"} pathPrefix: /api {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [http://127.0.0.1:{FreePorts.Take()}] {"}"}
            """);

        var response = await proxy.Client.GetAsync("/other", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No route matches this request.", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
