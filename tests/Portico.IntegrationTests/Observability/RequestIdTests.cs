using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Observability;

public sealed class RequestIdTests
{
    private static async Task<(TestBackend, TestProxy)> StartAsync()
    {
        var backend = await TestBackend.StartAsync("b");
        var proxy = await TestProxy.StartAsync($"""
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """);
        return (backend, proxy);
    }

    [Fact]
    public async Task A_request_id_is_generated_returned_and_forwarded()
    {
        var (backend, proxy) = await StartAsync();
        await using var _ = backend;
        await using var __ = proxy;

        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        var id = response.Headers.GetValues("X-Request-Id").Single();
        Assert.NotEmpty(id);
        Assert.Equal(id, backend.Requests.Single().Headers["X-Request-Id"]);
    }

    [Theory]
    [InlineData("abc-123", "abc-123")]
    [InlineData("has space", null)]
    [InlineData("quote\"inside", null)]
    public async Task A_sent_request_id_is_kept_only_when_it_is_safe(string sent, string? kept)
    {
        var (backend, proxy) = await StartAsync();
        await using var _ = backend;
        await using var __ = proxy;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("X-Request-Id", sent);

        var response = await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        var returned = response.Headers.GetValues("X-Request-Id").Single();
        Assert.Equal(returned, backend.Requests.Single().Headers["X-Request-Id"]);
        if (kept is null)
        {
            Assert.NotEqual(sent, returned);
        }
        else
        {
            Assert.Equal(kept, returned);
        }
    }

    [Fact]
    public async Task A_long_request_id_is_replaced()
    {
        var (backend, proxy) = await StartAsync();
        await using var _ = backend;
        await using var __ = proxy;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Request-Id", new string('a', 129));

        var response = await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.NotEqual(129, response.Headers.GetValues("X-Request-Id").Single().Length);
    }

    [Fact]
    public async Task Traceparent_passes_through_when_tracing_is_off()
    {
        var (backend, proxy) = await StartAsync();
        await using var _ = backend;
        await using var __ = proxy;
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("traceparent", traceparent);

        await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(traceparent, backend.Requests.Single().Headers["traceparent"]);
    }
}
