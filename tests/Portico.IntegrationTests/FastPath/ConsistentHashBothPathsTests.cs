using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// Consistent hashing on both paths: the same request bytes reach the same destination through a
/// proxy with the fast path and one without, whether the key is a header (repeated lines,
/// surrounding whitespace, Latin-1 bytes), a cookie (several Cookie lines, quoted values, one
/// missing) or the client address (behind a trusted proxy, from X-Forwarded-For).
/// </summary>
public sealed class ConsistentHashBothPathsTests
{
    private static string Config(string hashKey, IEnumerable<TestBackend> backends) => $$"""
        proxy: { trustedProxies: [127.0.0.1/32] }
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app:
            loadBalancing: consistent-hash
            hashKey: "{{hashKey}}"
            destinations: [{{string.Join(", ", backends.Select(b => b.Url))}}]
        """;

    [Theory]
    [InlineData("header:X-User")]
    [InlineData("cookie:session")]
    [InlineData("client-ip")]
    public async Task The_same_request_reaches_the_same_destination_on_both_paths(string hashKey)
    {
        var backends = await Task.WhenAll(Enumerable.Range(1, 5).Select(i => TestBackend.StartAsync($"b{i}")));
        try
        {
            await using var fast = await TestProxy.StartAsync(Config(hashKey, backends), fastPath: true);
            await using var full = await TestProxy.StartAsync(Config(hashKey, backends), fastPath: false);
            using var counters = new ProxyCounters(fast, "portico.fastpath.");
            var requests = Requests().ToArray();

            var onFast = new List<string>();
            var onFull = new List<string>();
            foreach (var fields in requests)
            {
                onFast.Add(await DestinationAsync(fast, fields));
                onFull.Add(await DestinationAsync(full, fields));
            }

            Assert.Equal(onFull, onFast);

            // The keys spread: a test whose keys all land on one destination would prove nothing.
            Assert.True(onFull.Distinct().Count() >= 3, string.Join(",", onFull));
            Assert.Equal(requests.Length, counters.Value("portico.fastpath.requests"));
        }
        finally
        {
            await Task.WhenAll(backends.Select(b => b.DisposeAsync().AsTask()));
        }
    }

    private static async Task<string> DestinationAsync(TestProxy proxy, string fields)
    {
        var response = await RawHttp.SendAsync(proxy.Address, Encoding.Latin1.GetBytes($"GET / HTTP/1.1\r\nHost: app.test\r\n{fields}Connection: close\r\n\r\n"));
        var text = response.Text;
        Assert.True(text.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal), fields + " => " + text);
        return text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
    }

    /// <summary>Header fields of each request: every key kind's variations, for whichever key the proxies hash.</summary>
    private static IEnumerable<string> Requests()
    {
        for (var i = 0; i < 12; i++)
        {
            yield return $"X-User: user-{i}\r\nCookie: session=s{i}\r\nX-Forwarded-For: 10.0.0.{i}\r\n";
        }

        yield return "X-User:   padded  \r\nCookie: a=1\r\nCookie: session=\"quoted\"\r\nX-Forwarded-For: 10.1.0.1, 10.1.0.2\r\n";
        yield return "X-User: one\r\nX-User: two\r\nCookie: session=x; session=y\r\nX-Forwarded-For: 10.2.0.1\r\nX-Forwarded-For: 10.2.0.2\r\n";
        // "café" in UTF-8, each byte one Latin-1 char (the backend, a Kestrel, takes only UTF-8).
        yield return "X-User: caf\u00c3\u00a9\r\nCookie: other=1\r\n";
        yield return "Cookie: session=\r\nX-Forwarded-For: not-an-address\r\n";
        yield return "";
    }
}
