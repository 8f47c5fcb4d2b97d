using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Cli;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Hosting;

/// <summary>
/// The admin listener's liveness and readiness probes in the real process: ready once it serves,
/// 503 from the first moment of a SIGTERM while requests in flight still complete, and, with
/// `proxy.shutdownDelay`, listeners that keep accepting new requests meanwhile. The probes answer
/// without the admin token, which everything else on the admin listener still needs.
/// </summary>
public sealed class ProbeTests
{
    private const string Token = "probe-test-token-0123456789";

    [Theory]
    [InlineData("0s")]
    [InlineData("5s")]
    public async Task Sigterm_turns_readyz_503_at_once_while_in_flight_requests_complete(string delay)
    {
        var adminPort = FreePorts.Take();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            if (ctx.Request.Path.StartsWithSegments("/slow"))
            {
                await release.Task.WaitAsync(ctx.RequestAborted);
            }

            await ctx.Response.WriteAsync("done");
        });
        var config = await CliTests.WriteConfigAsync($$"""
            listeners:
              main: { address: "127.0.0.1:0" }
            admin: { address: "127.0.0.1:{{adminPort}}", token: {{Token}} }
            proxy: { shutdownGracePeriod: 30s, shutdownDelay: {{delay}} }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        await using var portico = PorticoProcess.Start("run", "-c", config);
        // Named by port: the two "Now listening" lines may come in either order.
        var bound = await portico.WaitForListeningAsync(2);
        var (proxy, admin) = (bound.Single(u => u.Port != adminPort), bound.Single(u => u.Port == adminPort));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var ct = TestContext.Current.CancellationToken;

        var live = await client.GetAsync(new Uri(admin, "/livez"), ct);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("live\n", await live.Content.ReadAsStringAsync(ct));
        var ready = await client.GetAsync(new Uri(admin, "/readyz"), ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready\n", await ready.Content.ReadAsStringAsync(ct));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri(admin, "/api/status"), ct)).StatusCode);
        Assert.Equal("done", await client.GetStringAsync(new Uri(proxy, "/before"), ct));

        var inFlight = Enumerable.Range(0, 3).Select(i => client.GetAsync(new Uri(proxy, $"/slow/{i}"), ct)).ToArray();
        await Poll.UntilAsync(() => backend.Count == 4, "the three slow requests to reach the backend");

        portico.Signal("TERM");

        string? drainingBody = null;
        await Poll.UntilAsync(async () =>
        {
            var answer = await client.GetAsync(new Uri(admin, "/readyz"), ct);
            drainingBody = await answer.Content.ReadAsStringAsync(ct);
            return answer.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, "/readyz to answer 503 after SIGTERM");
        Assert.Equal("draining\n", drainingBody);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(admin, "/livez"), ct)).StatusCode);

        // Still in flight: nothing was cut off by readiness turning.
        Assert.All(inFlight, request => Assert.False(request.IsCompleted));
        if (delay != "0s")
        {
            // Within the delay the listener still takes new connections and requests.
            using var fresh = new HttpClient();
            fresh.DefaultRequestHeaders.ConnectionClose = true;
            Assert.Equal("done", await fresh.GetStringAsync(new Uri(proxy, "/during-delay"), ct));
        }

        release.SetResult();
        foreach (var request in inFlight)
        {
            var response = await request;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("done", await response.Content.ReadAsStringAsync(ct));
        }

        Assert.Equal(0, await portico.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var lines = portico.Stdout.Split('\n');
        Assert.Single(lines, l => l.EndsWith(" ready: config revision 1 serving on every listener; /readyz answers 200", StringComparison.Ordinal));
        Assert.Single(lines, l => l.EndsWith($" draining: /readyz answers 503; listeners keep accepting for {delay} (proxy.shutdownDelay) before they close", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Probes_answer_without_the_token_and_head_works()
    {
        var adminPort = FreePorts.Take();
        await using var backend = await TestBackend.StartAsync("b");
        var config = await CliTests.WriteConfigAsync($$"""
            listeners:
              main: { address: "127.0.0.1:0" }
            admin: { address: "127.0.0.1:{{adminPort}}", token: {{Token}} }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        await using var portico = PorticoProcess.Start("run", "-c", config);
        var admin = (await portico.WaitForListeningAsync(2)).Single(u => u.Port == adminPort);
        using var client = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var head = new HttpRequestMessage(HttpMethod.Head, new Uri(admin, "/readyz"));
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(head, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.PostAsync(new Uri(admin, "/readyz"), null, ct)).StatusCode);
        using var withToken = new HttpRequestMessage(HttpMethod.Get, new Uri(admin, "/api/status"));
        withToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(withToken, ct)).StatusCode);
    }
}
