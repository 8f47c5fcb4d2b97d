using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.Transport;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// Which of a proxy's connections have their sends gathered on their event loop (Transport's
/// LoopSends, attached by Pipeline/PorticoConnections): HTTP/2 ones, over h2c and over TLS by
/// ALPN, and not HTTP/1.1 ones. Told apart by holding every loop busy while the full pipeline
/// (which runs on the thread pool, its backend on .NET's sockets) writes a response: an HTTP/2
/// response waits for the loops, an HTTP/1.1 response goes out from the thread that wrote it.
/// </summary>
public sealed class GatheredSendsTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    private string Listeners(string protocol) => protocol switch
    {
        "h2c" => """
            listeners:
              front: { address: "127.0.0.1:0", protocols: [h2c] }
            """,
        "http/1.1" => """
            listeners:
              front: { address: "127.0.0.1:0" }
            """,
        _ => $$"""
            listeners:
              front:
                address: 127.0.0.1:0
                protocols: [h2, http1]
                tls:
                  certificates: [{ cert: {{_pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app").Cert}}, key: {{Path.Combine(_pki.Folder, "app.key.pem")}} }]
            """,
    };

    [Theory]
    [InlineData("h2c")]
    [InlineData("h2")]
    [InlineData("http/1.1")]
    public async Task An_http2_response_written_off_the_loop_waits_for_the_loop_and_an_http1_response_does_not(string protocol)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("PORTICO_TRANSPORT"), "sockets", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Skip("the event-loop transport's sends; with PORTICO_TRANSPORT=sockets Kestrel's own socket transport sends");
        }

        var ct = TestContext.Current.CancellationToken;
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            await answer.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            ctx.Response.ContentLength = 2;
            await ctx.Response.WriteAsync("ok", ct);
        });
        await using var proxy = await TestProxy.StartAsync($$"""
            {{Listeners(protocol)}}
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """, fastPath: false);
        var loops = proxy.Services.GetServices<IConnectionListenerFactory>().OfType<LoopTransport>().Single().Loops;

        var tls = protocol == "h2";
        var port = proxy.Address.Port;
        using var client = tls ? TlsClient.Http(port, _pki.Root) : new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var root = new Uri(tls ? $"https://app.test:{port}" : $"http://127.0.0.1:{port}");
        var version = protocol == "http/1.1" ? HttpVersion.Version11 : HttpVersion.Version20;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, "/x")) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var responding = client.SendAsync(request, ct);
        await Poll.UntilAsync(() => backend.Count == 1, "the request to reach the backend");

        var held = loops.Select(loop => new LoopHeld(loop)).ToList();
        try
        {
            await Task.WhenAll(held.Select(h => h.HeldAsync()));
            answer.SetResult();
            if (version == HttpVersion.Version20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                Assert.False(responding.IsCompleted, "an HTTP/2 response went out while every loop was busy");
            }
            else
            {
                // Sent by the pool thread that wrote it, while the loops are still held.
                await responding.WaitAsync(TimeSpan.FromSeconds(15), ct);
            }
        }
        finally
        {
            foreach (var h in held)
            {
                await h.DisposeAsync();
            }
        }

        using var response = await responding.WaitAsync(TimeSpan.FromSeconds(15), ct);
        Assert.Equal(version, response.Version);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync(ct));
    }
}
