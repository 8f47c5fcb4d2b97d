using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// <summary>
/// A route's `split` through a real proxy to two real clusters: shares over 10,000 new clients,
/// stickiness for returning ones, forced arms, a reload that moves only the clients it must, and
/// the arm in the access log, the metrics and the admin API.
/// </summary>
public sealed class SplitTests
{
    [Fact]
    public async Task New_clients_are_shared_by_weight_and_returning_ones_keep_their_arm()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stable = await TestBackend.StartAsync("stable");
        await using var canary = await TestBackend.StartAsync("canary");
        var log = Path.Combine(Directory.CreateTempSubdirectory("portico-split-").FullName, "access.log");
        await using var proxy = await TestProxy.StartAsync($$"""
            admin: { address: "127.0.0.1:0" }
            accessLog: { output: "{{log}}" }
            routes:
              shop:
                match: { pathPrefix: / }
                cluster: stable
                split: { arms: [{ cluster: stable, weight: 70 }, { cluster: canary, weight: 30 }] }
            clusters:
              stable: { destinations: [{{stable.Url}}] }
              canary: { destinations: [{{canary.Url}}] }
            """);
        // No cookie jar: each request is a new client unless it sends its cookie itself.
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = proxy.Address };
        const int clients = 10_000;
        var assigned = new ConcurrentDictionary<string, string>();

        var load = await Load.RunAsync(clients, 8, TimeSpan.FromMinutes(3), async _ =>
        {
            var response = await client.GetAsync("/", ct);
            var cookie = response.Headers.GetValues("Set-Cookie").Single();
            Assert.Matches("^portico_split=[0-9a-f]{32}; max-age=31536000; path=/; samesite=lax; httponly$", cookie);
            assigned[cookie.Split(';')[0]] = await response.Content.ReadAsStringAsync(ct);
            return response.StatusCode == HttpStatusCode.OK;
        });

        Assert.Equal(clients, load.Ok);
        Assert.Equal(clients, assigned.Count);
        var canaryShare = assigned.Values.Count(a => a == "canary") / (double)clients;
        Assert.InRange(canaryShare, 0.28, 0.32);

        foreach (var (cookie, arm) in assigned.Take(1000))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/again");
            request.Headers.Add("Cookie", cookie);
            var response = await client.SendAsync(request, ct);
            Assert.Equal(arm, await response.Content.ReadAsStringAsync(ct));
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }

        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        var metrics = new PrometheusText(await admin.GetStringAsync("/metrics", ct));
        var newCanary = metrics.Value("portico_split_requests_total", ("route", "shop"), ("arm", "canary"), ("assignment", "new"));
        var newStable = metrics.Value("portico_split_requests_total", ("route", "shop"), ("arm", "stable"), ("assignment", "new"));
        Assert.Equal(clients, newCanary + newStable);
        Assert.Equal(assigned.Values.Count(a => a == "canary"), newCanary);
        Assert.Equal(1000, (metrics.Value("portico_split_requests_total", ("route", "shop"), ("arm", "canary"), ("assignment", "sticky")) ?? 0)
            + (metrics.Value("portico_split_requests_total", ("route", "shop"), ("arm", "stable"), ("assignment", "sticky")) ?? 0));

        var route = JsonDocument.Parse(await admin.GetStringAsync("/api/config", ct)).RootElement.GetProperty("routes").GetProperty("shop");
        Assert.Equal("[{\"cluster\":\"stable\",\"weight\":70,\"share\":0.7},{\"cluster\":\"canary\",\"weight\":30,\"share\":0.3}]", route.GetProperty("split").GetProperty("arms").GetRawText());

        var lines = Array.Empty<string>();
        await Poll.UntilAsync(() => File.Exists(log) && (lines = File.ReadAllLines(log)).Length >= clients + 1000, "an access-log line per request");
        var logged = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(logged, l => Assert.Equal(l.GetProperty("arm").GetString(), l.GetProperty("cluster").GetString()));
        Assert.Equal(assigned.Values.Count(a => a == "canary") + assigned.Take(1000).Count(a => a.Value == "canary"), logged.Count(l => l.GetProperty("arm").GetString() == "canary"));
    }

    [Fact]
    public async Task A_force_header_or_cookie_picks_the_arm_and_an_unknown_name_forces_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stable = await TestBackend.StartAsync("stable");
        await using var canary = await TestBackend.StartAsync("canary");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              shop:
                match: { pathPrefix: / }
                cluster: stable
                split:
                  arms: [{ cluster: stable, weight: 100 }, { cluster: canary, weight: 0 }]
                  sticky: header:X-User
                  force: { header: X-Portico-Arm, cookie: arm }
            clusters:
              stable: { destinations: [{{stable.Url}}] }
              canary: { destinations: [{{canary.Url}}] }
            """);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = proxy.Address };

        async Task<string> Get(params string[] fields)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            foreach (var field in fields)
            {
                var colon = field.IndexOf(':');
                request.Headers.Add(field[..colon], field[(colon + 1)..].Trim());
            }

            var response = await client.SendAsync(request, ct);
            Assert.False(response.Headers.Contains("Set-Cookie"));
            return await response.Content.ReadAsStringAsync(ct);
        }

        Assert.Equal("stable", await Get("X-User: alice"));
        Assert.Equal("canary", await Get("X-User: alice", "X-Portico-Arm: canary"));
        Assert.Equal("canary", await Get("Cookie: arm=canary"));
        Assert.Equal("stable", await Get("Cookie: arm=canary", "X-Portico-Arm: stable"));
        Assert.Equal("stable", await Get("X-Portico-Arm: nightly"));
    }

    [Fact]
    public async Task A_reload_that_changes_weights_moves_only_the_clients_it_must()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stable = await TestBackend.StartAsync("stable");
        await using var canary = await TestBackend.StartAsync("canary");
        string Config(int stableWeight, int canaryWeight) => $$"""
            routes:
              shop:
                match: { pathPrefix: / }
                cluster: stable
                split: { arms: [{ cluster: stable, weight: {{stableWeight}} }, { cluster: canary, weight: {{canaryWeight}} }], sticky: header:X-User }
            clusters:
              stable: { destinations: [{{stable.Url}}] }
              canary: { destinations: [{{canary.Url}}] }
            """;
        await using var proxy = await TestProxy.StartAsync(Config(90, 10));
        const int users = 5_000;

        async Task<string[]> ArmsAsync()
        {
            var arms = new string[users];
            var load = await Load.RunAsync(users, 8, TimeSpan.FromMinutes(2), async i =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/");
                request.Headers.Add("X-User", $"user-{i}");
                var response = await proxy.Client.SendAsync(request, ct);
                arms[i] = await response.Content.ReadAsStringAsync(ct);
                return response.StatusCode == HttpStatusCode.OK;
            });
            Assert.Equal(users, load.Ok);
            return arms;
        }

        var before = await ArmsAsync();
        Assert.True((await proxy.RewriteConfigAsync(Config(80, 20))).Applied);
        var after = await ArmsAsync();

        // Only the slice [0.8, 0.9) changes hands: no canary client goes back, about 10% move over.
        var moved = Enumerable.Range(0, users).Count(i => before[i] != after[i]);
        Assert.DoesNotContain(Enumerable.Range(0, users), i => before[i] == "canary" && after[i] != "canary");
        Assert.InRange(moved / (double)users, 0.08, 0.12);
        Assert.InRange(after.Count(a => a == "canary") / (double)users, 0.18, 0.22);
    }
}
