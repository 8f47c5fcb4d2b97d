using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Configuration;

public sealed class HotReloadTests
{
    private static string RouteTo(TestBackend backend) => $"""
        routes:
          all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
        clusters:
          app: {"{"} destinations: [{backend.Url}] {"}"}
        """;

    [Fact]
    public async Task Reloads_during_load_drop_no_request_and_switch_traffic()
    {
        // The old backend answers slowly, so reloads land while its requests are in flight.
        await using var oldBackend = await TestBackend.StartAsync("old", async ctx =>
        {
            await Task.Delay(20);
            await ctx.Response.WriteAsync("old");
        });
        await using var newBackend = await TestBackend.StartAsync("new");
        await using var proxy = await TestProxy.StartAsync(RouteTo(oldBackend));
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        var done = 0;

        // The load runs until the test has seen requests after the last reload (a fixed count
        // could be all sent before the first reload lands on a fast machine); 60 s bound it.
        using var stop = new CancellationTokenSource();
        var load = Load.RunAsync(1_000_000, workers: 8, TimeSpan.FromSeconds(60), async i =>
        {
            if (stop.IsCancellationRequested)
            {
                return true;
            }

            using var response = await proxy.Client.GetAsync($"/r{i}");
            seen.Add(await response.Content.ReadAsStringAsync());
            Interlocked.Increment(ref done);
            return response.StatusCode == HttpStatusCode.OK;
        });
        await Poll.UntilAsync(() => Volatile.Read(ref done) > 200, "load to get going");
        Assert.True((await proxy.RewriteConfigAsync(RouteTo(newBackend))).Applied);
        Assert.True((await proxy.RewriteConfigAsync(RouteTo(oldBackend))).Applied);
        Assert.True((await proxy.RewriteConfigAsync(RouteTo(newBackend))).Applied);
        var reloaded = Volatile.Read(ref done);
        await Poll.UntilAsync(() => Volatile.Read(ref done) > reloaded + 200, "200 requests after the last reload");
        await stop.CancelAsync();
        var result = await load;

        Assert.True(result.Failed == 0, $"{result.Failed} failed: {string.Join("; ", result.SampleFailures)}");
        Assert.Contains("old", seen);
        Assert.Contains("new", seen);
        Assert.Equal("new", await proxy.Client.GetStringAsync("/after", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_broken_file_is_refused_with_its_errors_and_the_last_good_config_keeps_serving()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(RouteTo(backend));

        var outcome = await proxy.RewriteConfigAsync("""
            routes:
              all: { match: { pathPrefix: / }, cluster: nowhere }
            clusters:
              app: { destinations: [not-a-url] }
            """);

        Assert.False(outcome.Applied);
        Assert.Equal(
            [
                $"{proxy.ConfigPath}:5: routes.all.cluster: cluster 'nowhere' is not defined (defined: app)",
                $"{proxy.ConfigPath}:7: clusters.app.destinations[0]: 'not-a-url' is not an http:// or https:// URL (a base path is allowed; query and fragment are not)",
            ],
            outcome.Errors);
        Assert.Contains(proxy.Logs.Messages(102), m => m.StartsWith($"config from {proxy.ConfigPath} refused (2 error(s))", StringComparison.Ordinal));
        Assert.Contains(proxy.Logs.Messages(103), m => m.Contains("'not-a-url' is not an http", StringComparison.Ordinal));
        Assert.Equal("b", await proxy.Client.GetStringAsync("/", TestContext.Current.CancellationToken));

        outcome = await proxy.RewriteConfigAsync("routes: [oops");
        Assert.False(outcome.Applied);
        Assert.StartsWith($"{proxy.ConfigPath}:4: invalid YAML", outcome.Errors.Single());
        Assert.Equal("b", await proxy.Client.GetStringAsync("/", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Keep_alive_connections_survive_a_reload()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync(ctx.Connection.Id));
        await using var proxy = await TestProxy.StartAsync(RouteTo(backend));
        var connections = new HashSet<string>();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
        using var client = new HttpClient(handler) { BaseAddress = proxy.Address };
        var opened = 0;
        handler.ConnectCallback = async (context, token) =>
        {
            Interlocked.Increment(ref opened);
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(context.DnsEndPoint, token);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        };

        await client.GetStringAsync("/", TestContext.Current.CancellationToken);
        await proxy.RewriteConfigAsync(RouteTo(backend).Replace("app:", "app2:").Replace("cluster: app", "cluster: app2"));
        await client.GetStringAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(1, opened);
    }
}
