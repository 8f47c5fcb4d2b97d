using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.IntegrationTests.Infrastructure;
using Portico.Security.Waf;

namespace Portico.IntegrationTests.Security.Waf;

/// <summary>Hot reload parses a new rule set beside the serving one and swaps it in with the config.</summary>
public sealed class WafReloadTests
{
    private static string Config(TestBackend backend, string routeWaf) => $$"""
        waf: { auditLog: {{Path.Combine(Path.GetTempPath(), "portico-waf-reload-audit.log")}} }
        routes:
          app: { match: { pathPrefix: / }, cluster: app, waf: {{routeWaf}} }
        clusters:
          app: { destinations: [{{backend.Url}}] }
        """;

    private const string Scanner = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)";

    [Fact]
    public async Task A_reload_under_load_swaps_the_rule_set_without_a_wrong_verdict_and_frees_the_old_one()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("app");
        const string excluding = "{ mode: block, excludeRules: [913100] }";
        await using var proxy = await TestProxy.StartAsync(Config(backend, excluding));
        var first = Rules(proxy);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(proxy, WithAgent(WafTests.Get("/scan"), Scanner)));

        // Clean requests always pass and SQL injection is always refused, whichever set serves.
        var done = 0;
        // Runs until requests have been seen after the last reload, bounded by the 120 s.
        using var stop = new CancellationTokenSource();
        var load = Load.RunAsync(1_000_000, workers: 6, TimeSpan.FromSeconds(120), async i =>
        {
            if (stop.IsCancellationRequested)
            {
                return true;
            }

            var attack = i % 2 == 0;
            using var request = attack ? WafTests.Get($"/r{i}?id=1%27%20or%201%3D1--") : WafTests.Post($"/r{i}", $$"""{"n":{{i}}}""", "application/json");
            var status = await StatusAsync(proxy, request);
            Interlocked.Increment(ref done);
            return status == (attack ? HttpStatusCode.Forbidden : HttpStatusCode.OK);
        });
        await Poll.UntilAsync(() => Volatile.Read(ref done) > 50, "load to get going", seconds: 60);
        Assert.True((await proxy.RewriteConfigAsync(Config(backend, "block"))).Applied);
        Assert.True((await proxy.RewriteConfigAsync(Config(backend, excluding))).Applied);
        Assert.True((await proxy.RewriteConfigAsync(Config(backend, "{ mode: block, paranoia: 2 }"))).Applied);
        var reloaded = Volatile.Read(ref done);
        await Poll.UntilAsync(() => Volatile.Read(ref done) > reloaded + 50, "50 requests after the last reload", seconds: 60);
        await stop.CancelAsync();
        var result = await load;

        Assert.True(result.Failed == 0, $"{result.Failed} failed: {string.Join("; ", result.SampleFailures)}");
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(proxy, WithAgent(WafTests.Get("/scan"), Scanner)));
        Assert.NotSame(first, Rules(proxy));
        await Poll.UntilAsync(() => first.IsClosed, "the retired rule set to be freed");
    }

    [Fact]
    public async Task A_rule_file_that_does_not_parse_is_refused_and_the_serving_rules_stay()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(backend, "block"));
        var rulesFile = Path.Combine(Path.GetDirectoryName(proxy.ConfigPath)!, "broken.conf");
        await File.WriteAllTextAsync(rulesFile, "SecRule ARGS \"@rx x\" \"id:10001,phase:2,deny,no-such-action\"\n", ct);

        var outcome = await proxy.RewriteConfigAsync(Config(backend, "block").Replace("waf: { auditLog:", "waf: { rules: [broken.conf], auditLog:", StringComparison.Ordinal));

        Assert.False(outcome.Applied);
        var error = Assert.Single(outcome.Errors);
        Assert.True(error.StartsWith($"{proxy.ConfigPath}:4: waf: the rules do not load: ", StringComparison.Ordinal), error);
        Assert.Contains("broken.conf", error);
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(proxy, WafTests.Get("/x?id=1%27%20or%201%3D1--")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(proxy, WafTests.Get("/x?id=42")));
    }

    [Fact]
    public async Task Turning_the_waf_off_by_reload_stops_inspection()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(backend, "block"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(proxy, WafTests.Get("/x?id=1%27%20or%201%3D1--")));
        var serving = Rules(proxy);

        Assert.True((await proxy.RewriteConfigAsync(Config(backend, "off"))).Applied);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(proxy, WafTests.Get("/x?id=1%27%20or%201%3D1--")));
        Assert.Null(proxy.Services.GetRequiredService<ActiveConfig>().Current.Runtime<WafRuntime>());
        await Poll.UntilAsync(() => serving.IsClosed, "the retired rule set to be freed");
    }

    private static WafRuleSet Rules(TestProxy proxy)
        => proxy.Services.GetRequiredService<ActiveConfig>().Current.Runtime<WafRuntime>()!.Route("app")!.Rules;

    private static async Task<HttpStatusCode> StatusAsync(TestProxy proxy, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await proxy.Client.SendAsync(request);
            return response.StatusCode;
        }
    }

    private static HttpRequestMessage WithAgent(HttpRequestMessage request, string agent)
    {
        request.Headers.TryAddWithoutValidation("User-Agent", agent);
        return request;
    }
}
