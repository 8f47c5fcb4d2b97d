namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// One request on a connection of its own, its body read: each request starts where the fast path may
/// take it, whatever an earlier request on the proxy handed over for the rest of its connection.
/// </summary>
internal static class NewConnection
{
    public static Task<HttpResponseMessage> GetAsync(TestProxy proxy, string path, params (string Name, string Value)[] fields)
        => SendAsync(proxy, HttpMethod.Get, path, fields);

    public static async Task<HttpResponseMessage> SendAsync(TestProxy proxy, HttpMethod method, string path, params (string Name, string Value)[] fields)
    {
        using var client = new HttpClient { BaseAddress = proxy.Address };
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in fields)
        {
            request.Headers.Add(name, value);
        }

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }
}
