using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Cors;

/// <summary>
/// CORS per route against a real backend that records what reaches it and sends CORS fields of
/// its own: preflights are Portico's answer and never reach it; actual responses carry the
/// route's fields for an allowed origin and none for another.
/// </summary>
public sealed class CorsTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private TestProxy _proxy = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("echo", ctx =>
        {
            ctx.Response.Headers.AccessControlAllowOrigin = "https://backend-says.example";
            ctx.Response.Headers["X-Total"] = "3";
            return ctx.Response.WriteAsync("ok");
        });
        _proxy = await TestProxy.StartAsync($$"""
            routes:
              api:
                match: { pathPrefix: /api }
                cluster: echo
                cors:
                  allowOrigins: [https://app.example.com, "https://*.example.org"]
                  allowMethods: [GET, POST, PUT]
                  allowHeaders: [Content-Type, X-Api-Key]
                  allowCredentials: true
                  exposeHeaders: [X-Request-Id, X-Total]
                  maxAge: 10m
              open:
                match: { pathPrefix: /open }
                cluster: echo
                cors: { allowOrigins: ["*"], allowHeaders: ["*"] }
            clusters:
              echo: { destinations: [{{_backend.Url}}] }
            """);
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task An_allowed_preflight_is_answered_by_Portico_with_every_field()
    {
        var response = await PreflightAsync("/api/items", "https://app.example.com", "PUT", "content-type, x-api-key");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://app.example.com", Field(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Field(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("GET, POST, PUT", Field(response, "Access-Control-Allow-Methods"));
        Assert.Equal("content-type, x-api-key", Field(response, "Access-Control-Allow-Headers"));
        Assert.Equal("600", Field(response, "Access-Control-Max-Age"));
        Assert.Contains("Origin", response.Headers.Vary);
        Assert.Equal(0, _backend.Count);
    }

    [Theory]
    [InlineData("https://evil.example", "GET", null)]
    [InlineData("https://app.example.com.evil.example", "GET", null)]
    [InlineData("http://app.example.com", "GET", null)]
    [InlineData("https://example.org", "GET", null)]
    [InlineData("http://a.example.org", "GET", null)]
    [InlineData("https://app.example.com", "DELETE", null)]
    [InlineData("https://app.example.com", "GET", "X-Other")]
    public async Task A_refused_preflight_gets_no_CORS_fields_and_never_reaches_the_backend(string origin, string method, string? headers)
    {
        var response = await PreflightAsync("/api/items", origin, method, headers);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(0, _backend.Count);
    }

    [Theory]
    [InlineData("https://a.example.org")]
    [InlineData("https://a.b.example.org")]
    public async Task A_wildcard_origin_allows_subdomains(string origin)
    {
        var response = await PreflightAsync("/api/items", origin, "POST", null);

        Assert.Equal(origin, Field(response, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task An_actual_request_from_an_allowed_origin_gets_the_routes_fields_instead_of_the_backends()
    {
        var response = await SendAsync(HttpMethod.Get, "https://app.example.com");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _backend.Count);
        Assert.Equal("https://app.example.com", Field(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Field(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("X-Request-Id, X-Total", Field(response, "Access-Control-Expose-Headers"));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task An_actual_request_from_another_origin_gets_no_CORS_fields_but_Vary()
    {
        var response = await SendAsync(HttpMethod.Get, "https://evil.example");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task Any_origin_without_credentials_is_answered_with_a_star()
    {
        var response = await PreflightAsync("/open/x", "https://anyone.example", "GET", "X-Custom");

        Assert.Equal("*", Field(response, "Access-Control-Allow-Origin"));
        Assert.Equal("X-Custom", Field(response, "Access-Control-Allow-Headers"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task An_OPTIONS_request_that_is_not_a_preflight_is_forwarded()
    {
        var response = await SendAsync(HttpMethod.Options, "https://app.example.com");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _backend.Count);
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path, string origin, string method, string? headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        if (headers is not null)
        {
            request.Headers.Add("Access-Control-Request-Headers", headers);
        }

        return await _proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string origin)
    {
        using var request = new HttpRequestMessage(method, "/api/items");
        request.Headers.Add("Origin", origin);
        return await _proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string Field(HttpResponseMessage response, string name) => string.Join(", ", response.Headers.GetValues(name));
}
