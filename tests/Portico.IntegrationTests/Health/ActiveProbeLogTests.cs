using Microsoft.Extensions.Logging;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Health;

/// <summary>
/// What an operator reads while a destination is down: one line when active health takes it
/// out, with the cause, and nothing more while it stays down; never a stack trace per probe.
/// </summary>
public sealed class ActiveProbeLogTests
{
    [Fact]
    public async Task A_dead_destination_is_reported_once_with_its_cause_not_at_every_probe()
    {
        await using var live = await TestBackend.StartAsync("live");
        var deadPort = FreePorts.Take();
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app:
                destinations: [{{live.Url}}, "http://127.0.0.1:{{deadPort}}"]
                healthCheck:
                  active: { path: /health, interval: 100ms, unhealthyThreshold: 2 }
            """);

        // The live destination is probed in the same rounds: ten of its probes are ten rounds
        // in which the dead one failed too.
        await Poll.UntilAsync(() => live.Requests.Count(r => r.PathAndQuery == "/health") >= 10, "ten probe rounds");

        var taken = proxy.Logs.Messages(2001).ToArray();
        Assert.Equal([$"cluster app: destination 127.0.0.1:{deadPort} failed its active health check (probe: Connection refused (127.0.0.1:{deadPort})); taken out"], taken);
        Assert.DoesNotContain(proxy.Logs.Lines, l => l.Exception is not null);
        Assert.DoesNotContain(proxy.Logs.Lines, l => l.Category.StartsWith("Yarp", StringComparison.Ordinal) && l.Level >= LogLevel.Warning);
    }
}
