using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Observability;

/// <summary>Tracing changes the whole process's activity listeners, so it runs in a portico process of its own.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task With_tracing_on_the_backend_gets_a_child_traceparent_and_spans_reach_the_otlp_collector()
    {
        var exports = new ConcurrentQueue<(string ContentType, byte[] Body)>();
        await using var collector = await TestBackend.StartAsync("otlp", async ctx =>
        {
            using var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body);
            exports.Enqueue((ctx.Request.ContentType ?? "", body.ToArray()));
        });
        await using var backend = await TestBackend.StartAsync("b");
        var path = Path.Combine(Directory.CreateTempSubdirectory("portico-trace-").FullName, "portico.yaml");
        await File.WriteAllTextAsync(path, $"""
            listeners:
              main: {"{"} address: "127.0.0.1:0" {"}"}
            admin: {"{"} address: "127.0.0.1:0" {"}"}
            accessLog: {"{"} enabled: false {"}"}
            tracing: {"{"} otlpEndpoint: "{collector.Url}", serviceName: portico-test {"}"}
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """, TestContext.Current.CancellationToken);
        await using var portico = PorticoProcess.Start("run", "-c", path);
        var port = (await portico.WaitForListeningAsync())[0].Port;
        const string traceId = "0af7651916cd43dd8448eb211c80319c";
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/traced");
        request.Headers.Add("traceparent", $"00-{traceId}-b7ad6b7169203331-01");

        await client.SendAsync(request, TestContext.Current.CancellationToken);

        var forwarded = backend.Requests.Single().Headers["traceparent"].Split('-');
        Assert.Equal(traceId, forwarded[1]);
        Assert.NotEqual("b7ad6b7169203331", forwarded[2]);
        var traceBytes = Convert.FromHexString(traceId);
        await Poll.UntilAsync(() => exports.Any(e => e.Body.AsSpan().IndexOf(traceBytes) >= 0), "a span of the trace at the OTLP collector", seconds: 20);
        Assert.All(exports, e => Assert.Equal("application/x-protobuf", e.ContentType));
        Assert.Contains(collector.Requests, r => r.PathAndQuery == "/v1/traces");
    }
}
