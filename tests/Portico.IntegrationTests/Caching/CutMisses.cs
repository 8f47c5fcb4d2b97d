using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Caching;

/// <summary>Misses whose body the backend cuts off, on a cached route: none may be stored.</summary>
internal static class CutMisses
{
    /// <summary>
    /// Two requests for /cut, each on a connection of its own: each client sees its body end
    /// early (an exception, on either path), and the backend is asked twice, so the first stored
    /// nothing; both are counted as misses, on the fast path where it is on.
    /// </summary>
    public static async Task AssertNothingStoredAsync(TestProxy proxy, TestBackend backend, ProxyCounters counters, bool fastPath, params (string Name, string Value)[] fields)
    {
        for (var i = 0; i < 2; i++)
        {
            try
            {
                using var r = await NewConnection.GetAsync(proxy, "/cut", fields);
                Assert.Fail($"request {i}: a whole {(int)r.StatusCode} response, where the body was cut off");
            }
            catch (HttpRequestException)
            {
                // The client sees the body end early (an encoded one: no last chunk), on both paths.
            }

            // The full path's cache stage finishes the miss after its client saw the cut: a request
            // sent before it has would collapse onto the broken flight instead of asking the backend.
            await Poll.UntilAsync(() => counters.Observe("portico.active.requests") == 0, "the miss finished");
        }

        Assert.Equal(2, backend.Count);
        await counters.AssertFastPathServedAsync(fastPath ? 2 : 0);
        Assert.Equal(2, counters.Value("portico.cache.requests", ("outcome", "miss")));
    }
}
