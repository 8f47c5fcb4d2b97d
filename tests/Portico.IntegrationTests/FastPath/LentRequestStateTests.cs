using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// The fast path lends a request head, and with it what the request's stages add to the heads
/// (header rules, rate-limit fields), to one request at a time from a pool shared by every
/// connection, so a waiting connection holds neither (issue 25: memory per idle connection).
/// What one request added must never reach the next borrower's request or response, on the same
/// connection or another.
/// </summary>
public sealed class LentRequestStateTests
{
    private static string Config(string url) => $$"""
        routes:
          ruled:
            match: { pathPrefix: /ruled }
            cluster: app
            headers:
              request: { set: { X-To-Backend: "{route}" } }
              response: { set: { X-To-Client: ruled } }
          limited:
            match: { pathPrefix: /limited }
            cluster: app
            rateLimit: { limit: 1000, window: 1m }
          plain: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app:
            destinations: [{{url}}]
        """;

    [Fact]
    public async Task What_one_request_added_reaches_no_later_request_on_any_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            var seen = ctx.Request.Headers["X-To-Backend"].ToString();
            var text = seen.Length == 0 ? "none" : seen;
            ctx.Response.ContentLength = text.Length;
            return ctx.Response.WriteAsync(text);
        });
        // The fast path on whatever PORTICO_FASTPATH says: the lending is its own.
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: true);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");
        using var first = new TcpClient();
        using var second = new TcpClient();
        await first.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
        await second.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
        var readers = new[] { new ByteReader(first.GetStream(), ct), new ByteReader(second.GetStream(), ct) };
        var streams = new[] { first.GetStream(), second.GetStream() };

        // Alternating routes and connections, one request at a time: each borrows the head the
        // one before it gave back.
        var paths = new[] { "/ruled", "/plain", "/limited", "/plain", "/ruled", "/ruled", "/limited", "/plain" };
        for (var i = 0; i < paths.Length * 2; i++)
        {
            var path = paths[i % paths.Length];
            var connection = (i / 2) % 2;
            await streams[connection].WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {proxy.Address.Authority}\r\n\r\n"), ct);
            var head = Encoding.ASCII.GetString(await readers[connection].ReadHeadAsync() ?? throw new IOException("closed"));
            var fields = head.Split("\r\n").Skip(1).Where(l => l.Length > 0).Select(l => l.Split(':', 2)[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var length = int.Parse(head.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var body = Encoding.ASCII.GetString(await readers[connection].ReadExactlyAsync(length));

            Assert.StartsWith("HTTP/1.1 200 ", head, StringComparison.Ordinal);
            Assert.Equal(path == "/ruled" ? "ruled" : "none", body);
            Assert.Equal(path == "/ruled", fields.Contains("X-To-Client"));
            Assert.Equal(path == "/limited", fields.Contains("RateLimit-Policy"));
        }

        await counters.AssertFastPathServedAsync(paths.Length * 2);
    }
}
