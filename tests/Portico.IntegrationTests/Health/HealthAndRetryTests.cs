using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;
using Yarp.ReverseProxy.Model;

namespace Portico.IntegrationTests.Health;

public sealed class HealthAndRetryTests
{
    /// <remarks>
    /// The backends answer with a Content-Length, so each answer leaves in one write: a chunked
    /// one ends in a second write (the last chunk), and a kill between the two cut a response
    /// whose head the proxy had already passed on, which no proxy can retry (a fresh-clone CI run,
    /// PORTICO_FASTPATH=off: "Error while copying content to a stream" for 1 of 3000).
    /// </remarks>
    [Fact]
    public async Task Backend_killed_under_load_loses_no_request_is_ejected_then_brought_back_by_active_health()
    {
        var backends = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => TestBackend.StartAsync($"b{i}", ctx =>
        {
            var body = ctx.Request.Path == "/health" ? "ok" : $"b{i}";
            ctx.Response.ContentLength = body.Length;
            return ctx.Response.WriteAsync(body);
        })));
        var victim = backends[1];
        var victimId = victim.Address.Authority;
        TestBackend? revived = null;
        try
        {
            await using var proxy = await TestProxy.StartAsync($"""
                routes:
                  all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
                clusters:
                  app:
                    retries: 2
                    destinations: [{string.Join(", ", backends.Select(b => b.Url))}]
                    healthCheck:
                      passive: {"{"} consecutiveFailures: 1, reactivateAfter: 1h {"}"}
                      active: {"{"} path: /health, interval: 200ms, healthyThreshold: 2, unhealthyThreshold: 2 {"}"}
                """);
            var served = 0;
            var killed = Task.CompletedTask;

            var result = await Load.RunAsync(3_000, workers: 8, TimeSpan.FromSeconds(60), async i =>
            {
                if (Interlocked.Increment(ref served) == 500)
                {
                    killed = victim.KillAsync();
                }

                using var response = await proxy.Client.GetAsync($"/item/{i}");
                return response.StatusCode == HttpStatusCode.OK;
            });
            await killed;

            Assert.True(result.Failed == 0, $"{result.Failed} failed: {string.Join("; ", result.SampleFailures)}");
            Assert.Equal(3_000, result.Ok);
            Assert.Contains(proxy.Logs.Messages(2002), m => m.Contains(victimId, StringComparison.Ordinal));
            Assert.True(proxy.State.TryGetCluster("app", out var cluster));
            Assert.DoesNotContain(cluster.DestinationsState.AvailableDestinations, d => d.DestinationId == victimId);

            revived = await TestBackend.StartAsync("b2-again", ctx => ctx.Response.WriteAsync(ctx.Request.Path == "/health" ? "ok" : "b2-again"), port: victim.Port);
            await Poll.UntilAsync(() => cluster.DestinationsState.AvailableDestinations.Any(d => d.DestinationId == victimId), "active health to bring the backend back");
            var destination = cluster.Destinations[victimId];
            Assert.Equal(DestinationHealth.Healthy, destination.Health.Active);
            Assert.NotEqual(DestinationHealth.Unhealthy, destination.Health.Passive);

            var bodies = new List<string>();
            for (var i = 0; i < 9; i++)
            {
                bodies.Add(await proxy.Client.GetStringAsync("/again", TestContext.Current.CancellationToken));
            }

            Assert.Contains("b2-again", bodies);
        }
        finally
        {
            await Task.WhenAll(backends.Where(b => b != victim).Select(b => b.DisposeAsync().AsTask()));
            if (revived is not null)
            {
                await revived.DisposeAsync();
            }
        }
    }

    private static string DeadAndLive(int deadPort, TestBackend live, string route = "") => $"""
        routes:
          all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {route} {"}"}
        clusters:
          app:
            retries: 2
            destinations: [http://127.0.0.1:{deadPort}, {live.Url}]
        """;

    [Fact]
    public async Task Post_is_not_retried_unless_the_route_opts_in()
    {
        await using var live = await TestBackend.StartAsync("live");
        var dead = FreePorts.Take();

        await using (var proxy = await TestProxy.StartAsync(DeadAndLive(dead, live)))
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 4; i++)
            {
                statuses.Add((await proxy.Client.PostAsync("/", new StringContent("x"), TestContext.Current.CancellationToken)).StatusCode);
            }

            Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.BadGateway));
            Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.OK));
        }

        await using (var proxy = await TestProxy.StartAsync(DeadAndLive(dead, live, ", retryNonIdempotent: true")))
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await proxy.Client.PostAsync("/", new StringContent("x"), TestContext.Current.CancellationToken)).StatusCode);
            }
        }
    }

    [Fact]
    public async Task Idempotent_requests_with_an_unsent_body_are_retried_and_the_body_arrives_whole()
    {
        await using var live = await TestBackend.StartAsync("live", async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            await ctx.Response.WriteAsync($"{ctx.Request.Method}:{await reader.ReadToEndAsync()}");
        });
        await using var proxy = await TestProxy.StartAsync(DeadAndLive(FreePorts.Take(), live));

        for (var i = 0; i < 4; i++)
        {
            var response = await proxy.Client.PutAsync("/", new StringContent($"body-{i}"), TestContext.Current.CancellationToken);
            Assert.Equal($"PUT:body-{i}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            var get = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }

        Assert.Contains(proxy.Logs.Messages(1002), m => m.StartsWith("route all: retry 1 after Request", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_whose_body_the_backend_already_read_is_not_retried()
    {
        // This backend reads the whole body, then drops the connection without answering.
        await using var reader = await TestBackend.StartAsync("reader", async ctx =>
        {
            using var body = new StreamReader(ctx.Request.Body);
            await body.ReadToEndAsync();
            ctx.Abort();
        });
        await using var live = await TestBackend.StartAsync("live");
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app:
                retries: 2
                destinations: [{reader.Url}, {live.Url}]
            """);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            statuses.Add((await proxy.Client.PutAsync("/", new StringContent("payload"), TestContext.Current.CancellationToken)).StatusCode);
        }

        Assert.Equal(1, reader.Count);
        Assert.Equal(1, live.Count);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.BadGateway], statuses.Order());
        Assert.Empty(proxy.Logs.Messages(1002));
    }

    [Fact]
    public async Task Active_checks_honour_thresholds_and_expected_status()
    {
        var healthStatus = 204;
        // Probes counted by the status they were answered with, read once: a probe in flight while
        // the test flips the status is counted as what it got, not as what the test expects next.
        var passing = 0;
        var failing = 0;
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            if (ctx.Request.Path == "/healthz")
            {
                var status = Volatile.Read(ref healthStatus);
                Interlocked.Increment(ref status == 204 ? ref passing : ref failing);
                ctx.Response.StatusCode = status;
                return Task.CompletedTask;
            }

            return ctx.Response.WriteAsync("b");
        });
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app:
                destinations: [{backend.Url}]
                healthCheck:
                  active: {"{"} path: /healthz, interval: 100ms, healthyThreshold: 3, unhealthyThreshold: 2, expectedStatus: [204] {"}"}
            """);
        Assert.True(proxy.State.TryGetCluster("app", out var cluster));
        var destination = cluster.Destinations.Values.Single();
        await Poll.UntilAsync(() => destination.Health.Active == DestinationHealth.Healthy, "the first passing probe");

        // Waits for the available set too: YARP sets the health first and updates the set the
        // router reads just after, so a request sent in between would still be routed.
        Volatile.Write(ref healthStatus, 200);
        await Poll.UntilAsync(() => destination.Health.Active == DestinationHealth.Unhealthy && cluster.DestinationsState.AvailableDestinations.Count == 0, "two failing probes");
        Assert.True(Volatile.Read(ref failing) >= 2, "taken out before two failed probes");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);

        var before = Volatile.Read(ref passing);
        Volatile.Write(ref healthStatus, 204);
        await Poll.UntilAsync(() => destination.Health.Active == DestinationHealth.Healthy && cluster.DestinationsState.AvailableDestinations.Count == 1, "three passing probes");
        Assert.True(Volatile.Read(ref passing) - before >= 3, "brought back before three passing probes");
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Passive_checks_eject_on_server_errors_when_asked_and_reactivate_after_the_period()
    {
        await using var bad = await TestBackend.StartAsync("bad", ctx =>
        {
            ctx.Response.StatusCode = 500;
            return Task.CompletedTask;
        });
        await using var good = await TestBackend.StartAsync("good");
        await using var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app:
                destinations: [{bad.Url}, {good.Url}]
                healthCheck:
                  passive: {"{"} consecutiveFailures: 3, countServerErrors: true, reactivateAfter: 5s {"}"}
            """);

        // The eleven requests after the ejection must all fall inside reactivateAfter, or the bad
        // destination is back and gets one: 5 s leaves room for a loaded machine's stalls.
        for (var i = 0; i < 6; i++)
        {
            await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);
        }

        Assert.Equal(3, bad.Count);

        // YARP marks the destination unhealthy first and updates the set the router reads just
        // after, on another thread: a request sent in between may still be routed to it.
        Assert.True(proxy.State.TryGetCluster("app", out var cluster));
        await Poll.UntilAsync(() => cluster.DestinationsState.AvailableDestinations.Count == 1, "the ejection to reach the available destinations");
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
        }

        Assert.Equal(3, bad.Count);
        Assert.Contains(proxy.Logs.Messages(2002), m => m == $"cluster app: destination {bad.Address.Authority} ejected by passive health (3 consecutive failures) for 00:00:05");
        await Poll.UntilAsync(() => cluster.DestinationsState.AvailableDestinations.Count == 2, "the ejected destination to be reactivated");
    }

    /// <summary>One cluster with passive checks and active probes of /health every 100 ms.</summary>
    private static string BothChecks(string destinations, string passive, string active) => $"""
        routes:
          all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
        clusters:
          app:
            destinations: [{destinations}]
            healthCheck:
              passive: {"{"} {passive} {"}"}
              active: {"{"} path: /health, interval: 100ms, {active} {"}"}
        """;

    [Fact]
    public async Task A_failing_probe_does_not_lift_a_passive_ejection()
    {
        // Healthy at first, then dead but still listening: every connection is reset, probes too.
        var dead = false;
        var probes = 0;
        var requests = 0;
        await using var dying = await TestBackend.StartAsync("dying", ctx =>
        {
            Interlocked.Increment(ref ctx.Request.Path == "/health" ? ref probes : ref requests);
            if (Volatile.Read(ref dead))
            {
                ctx.Abort();
                return Task.CompletedTask;
            }

            return ctx.Response.WriteAsync("dying");
        });
        await using var good = await TestBackend.StartAsync("good");
        await using var proxy = await TestProxy.StartAsync(BothChecks(
            $"{dying.Url}, {good.Url}", "consecutiveFailures: 2, reactivateAfter: 1h", "healthyThreshold: 2, unhealthyThreshold: 100"));
        Assert.True(proxy.State.TryGetCluster("app", out var cluster));
        var destination = cluster.Destinations[dying.Address.Authority];
        await Poll.UntilAsync(() => destination.Health.Active == DestinationHealth.Healthy, "the first passing probe");

        Volatile.Write(ref dead, true);
        await Poll.UntilAsync(async () =>
        {
            await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);
            return destination.Health.Passive == DestinationHealth.Unhealthy
                   && !cluster.DestinationsState.AvailableDestinations.Contains(destination);
        }, "two failed requests to eject the dead destination");

        // Failed probes below unhealthyThreshold keep coming; each one used to lift the ejection.
        var probesAtEjection = Volatile.Read(ref probes);
        await Poll.UntilAsync(() => Volatile.Read(ref probes) >= probesAtEjection + 3, "three failed probes");
        var requestsBefore = Volatile.Read(ref requests);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
        }

        Assert.Equal(requestsBefore, Volatile.Read(ref requests));
        Assert.Equal(DestinationHealth.Unhealthy, destination.Health.Passive);
    }

    [Fact]
    public async Task Passing_probes_lift_a_passive_ejection_only_after_healthyThreshold_of_them_during_it()
    {
        // The health endpoint keeps passing while real requests fail with 500.
        var failing = false;
        var probes = 0;
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            if (ctx.Request.Path == "/health")
            {
                Interlocked.Increment(ref probes);
                return ctx.Response.WriteAsync("ok");
            }

            ctx.Response.StatusCode = Volatile.Read(ref failing) ? 500 : 200;
            return Task.CompletedTask;
        });
        await using var proxy = await TestProxy.StartAsync(BothChecks(
            backend.Url, "consecutiveFailures: 2, countServerErrors: true, reactivateAfter: 1h", "healthyThreshold: 5, unhealthyThreshold: 2"));
        Assert.True(proxy.State.TryGetCluster("app", out var cluster));
        var destination = cluster.Destinations.Values.Single();

        // More passes than healthyThreshold before the ejection: those must not count toward ending it.
        await Poll.UntilAsync(() => Volatile.Read(ref probes) >= 7, "seven passing probes");
        Volatile.Write(ref failing, true);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, (await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
        }

        await Poll.UntilAsync(() => destination.Health.Passive == DestinationHealth.Unhealthy, "two 500s to eject the destination");
        var probesAtEjection = Volatile.Read(ref probes);
        await Poll.UntilAsync(() => destination.Health.Passive != DestinationHealth.Unhealthy, "passing probes to lift the ejection");

        // Five passes completed during the ejection; one may have been sent before it and one before it was seen.
        Assert.True(Volatile.Read(ref probes) - probesAtEjection >= 3, $"lifted after {Volatile.Read(ref probes) - probesAtEjection} probes");
        Assert.Equal(DestinationHealth.Healthy, destination.Health.Active);
    }
}
