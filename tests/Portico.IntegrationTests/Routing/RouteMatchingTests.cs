using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

public sealed class RouteMatchingTests : IAsyncLifetime
{
    private readonly List<TestBackend> _backends = [];
    private TestProxy _proxy = null!;

    public async ValueTask InitializeAsync()
    {
        string[] names = ["hosts", "wild", "prefix", "template", "constraint", "regex", "methods", "header", "query", "fallback"];
        foreach (var name in names)
        {
            _backends.Add(await TestBackend.StartAsync(name));
        }

        var clusters = string.Join("\n", _backends.Select(b => $"  {b.Name}: {{ destinations: [{b.Url}] }}"));
        _proxy = await TestProxy.StartAsync($$"""
            routes:
              hosts:    { match: { hosts: [api.example.com] }, cluster: hosts }
              wild:     { match: { hosts: ["*.shop.example"] }, cluster: wild }
              prefix:   { match: { pathPrefix: /static }, cluster: prefix }
              template: { match: { path: "/users/{id:int}" }, cluster: template }
              constraint: { match: { path: "/codes/{code:regex(^[A-Z][A-Z][A-Z]$)}" }, cluster: constraint }
              regex:    { match: { pathPrefix: /items, pathRegex: '^/items/[a-z]{3}$' }, cluster: regex }
              methods:  { match: { pathPrefix: /write, methods: [POST, PUT] }, cluster: methods }
              header:   { match: { pathPrefix: /v, headers: { X-Version: { values: ["2"] } } }, cluster: header }
              query:    { match: { pathPrefix: /v, query: { beta: { mode: exists } } }, cluster: query }
              fallback: { match: { pathPrefix: / }, cluster: fallback }
            clusters:
            {{clusters}}
            """);
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("GET", "api.example.com", "/anything", null, "hosts")]
    [InlineData("GET", "a.shop.example", "/x", null, "wild")]
    [InlineData("GET", "shop.example", "/x", null, "fallback")]
    [InlineData("GET", "localhost", "/static", null, "prefix")]
    [InlineData("GET", "localhost", "/static/css/site.css", null, "prefix")]
    [InlineData("GET", "localhost", "/staticky", null, "fallback")]
    [InlineData("GET", "localhost", "/users/42", null, "template")]
    [InlineData("GET", "localhost", "/users/bob", null, "fallback")]
    [InlineData("GET", "localhost", "/codes/ABC", null, "constraint")]
    [InlineData("GET", "localhost", "/codes/ABCD", null, "fallback")]
    [InlineData("GET", "localhost", "/items/abc", null, "regex")]
    [InlineData("GET", "localhost", "/items/abcd", null, "fallback")]
    [InlineData("POST", "localhost", "/write", null, "methods")]
    [InlineData("GET", "localhost", "/write", null, "fallback")]
    [InlineData("GET", "localhost", "/v", "X-Version: 2", "header")]
    [InlineData("GET", "localhost", "/v?beta=1", null, "query")]
    [InlineData("GET", "localhost", "/v?beta=", null, "fallback")]
    [InlineData("GET", "localhost", "/v", null, "fallback")]
    public async Task Requests_reach_the_route_that_matches(string method, string host, string path, string? header, string expected)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Host = host;
        if (header is not null)
        {
            var parts = header.Split(": ");
            request.Headers.Add(parts[0], parts[1]);
        }

        var response = await _proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
