using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.LoadBalancing;

public sealed class LoadBalancingTests
{
    private static async Task<TestBackend[]> StartBackendsAsync(int count)
        => await Task.WhenAll(Enumerable.Range(1, count).Select(i => TestBackend.StartAsync($"b{i}")));

    private static string Cluster(string policy, IEnumerable<string> destinations, string extra = "") => $"""
        routes:
          all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
        clusters:
          app:
            loadBalancing: {policy}
            {extra}
            destinations:
        {string.Join("\n", destinations.Select(d => "      - " + d))}
        """;

    private static async Task<Dictionary<string, int>> SpreadAsync(TestProxy proxy, int requests, Func<int, HttpRequestMessage>? make = null)
    {
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var result = await Load.RunAsync(requests, workers: 8, TimeSpan.FromSeconds(60), async i =>
        {
            using var request = make?.Invoke(i) ?? new HttpRequestMessage(HttpMethod.Get, "/");
            using var response = await proxy.Client.SendAsync(request);
            counts.AddOrUpdate(await response.Content.ReadAsStringAsync(), 1, (_, c) => c + 1);
            return response.IsSuccessStatusCode;
        });
        Assert.Equal(requests, result.Ok);
        return new Dictionary<string, int>(counts);
    }

    [Fact]
    public async Task Weighted_shares_follow_destination_weights_over_10000_requests()
    {
        var backends = await StartBackendsAsync(3);
        try
        {
            var destinations = backends.Select((b, i) => $"{{ address: {b.Url}, weight: {i + 1} }}");
            await using var proxy = await TestProxy.StartAsync(Cluster("weighted", destinations));

            var counts = await SpreadAsync(proxy, 10_000);

            // Weights 1:2:3 → 1/6, 2/6, 3/6 of the traffic, each within one percentage point.
            Assert.InRange(counts["b1"] / 10_000.0, 1 / 6.0 - 0.01, 1 / 6.0 + 0.01);
            Assert.InRange(counts["b2"] / 10_000.0, 2 / 6.0 - 0.01, 2 / 6.0 + 0.01);
            Assert.InRange(counts["b3"] / 10_000.0, 3 / 6.0 - 0.01, 3 / 6.0 + 0.01);
        }
        finally
        {
            await Task.WhenAll(backends.Select(b => b.DisposeAsync().AsTask()));
        }
    }

    [Theory]
    [InlineData("round-robin", 0.01)]
    [InlineData("least-requests", 0.2)]
    [InlineData("power-of-two", 0.2)]
    [InlineData("random", 0.1)]
    public async Task Unweighted_policies_spread_requests_over_every_destination(string policy, double tolerance)
    {
        var backends = await StartBackendsAsync(3);
        try
        {
            await using var proxy = await TestProxy.StartAsync(Cluster(policy, backends.Select(b => b.Url)));

            var counts = await SpreadAsync(proxy, 1_500);

            Assert.Equal(3, counts.Count);
            Assert.All(counts.Values, c => Assert.InRange(c / 1_500.0, 1 / 3.0 - tolerance, 1 / 3.0 + tolerance));
        }
        finally
        {
            await Task.WhenAll(backends.Select(b => b.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Consistent_hash_on_a_header_keeps_keys_and_moves_only_some_when_a_backend_is_added()
    {
        var backends = await StartBackendsAsync(4);
        try
        {
            await using var proxy = await TestProxy.StartAsync(Cluster("consistent-hash", backends.Take(3).Select(b => b.Url), "hashKey: header:X-User"));
            HttpRequestMessage User(int i)
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "/");
                request.Headers.Add("X-User", $"user-{i}");
                return request;
            }

            var before = await OwnersAsync(proxy, 300, User);
            Assert.Equal(before, await OwnersAsync(proxy, 300, User));
            Assert.Equal(3, before.Distinct().Count());

            var outcome = await proxy.RewriteConfigAsync(Cluster("consistent-hash", backends.Select(b => b.Url), "hashKey: header:X-User"));
            Assert.True(outcome.Applied, string.Join("\n", outcome.Errors));
            var after = await OwnersAsync(proxy, 300, User);

            var moved = Enumerable.Range(0, 300).Where(i => before[i] != after[i]).ToArray();
            Assert.All(moved, i => Assert.Equal("b4", after[i]));
            // About a quarter of the keys belong to the new backend; none other moved.
            Assert.InRange(moved.Length, 30, 120);
        }
        finally
        {
            await Task.WhenAll(backends.Select(b => b.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Consistent_hash_by_cookie_and_by_client_ip_is_stable()
    {
        var backends = await StartBackendsAsync(3);
        try
        {
            await using var proxy = await TestProxy.StartAsync(Cluster("consistent-hash", backends.Select(b => b.Url), "hashKey: cookie:session"));
            HttpRequestMessage Session(int i)
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "/");
                request.Headers.Add("Cookie", $"theme=dark; session=s{i % 20}");
                return request;
            }

            var first = await OwnersAsync(proxy, 100, Session);
            Assert.All(Enumerable.Range(0, 100), i => Assert.Equal(first[i % 20], first[i]));

            await proxy.RewriteConfigAsync(Cluster("consistent-hash", backends.Select(b => b.Url)));
            var byIp = await OwnersAsync(proxy, 50, _ => new HttpRequestMessage(HttpMethod.Get, "/"));
            Assert.Single(byIp.Distinct());
        }
        finally
        {
            await Task.WhenAll(backends.Select(b => b.DisposeAsync().AsTask()));
        }
    }

    private static async Task<string[]> OwnersAsync(TestProxy proxy, int count, Func<int, HttpRequestMessage> make)
    {
        var owners = new string[count];
        for (var i = 0; i < count; i++)
        {
            using var request = make(i);
            using var response = await proxy.Client.SendAsync(request);
            owners[i] = await response.Content.ReadAsStringAsync();
        }

        return owners;
    }
}
