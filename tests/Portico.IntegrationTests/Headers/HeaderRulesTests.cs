using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Headers;

/// <summary>
/// Header rules end to end: a real backend records the request it received and answers with
/// fields of its own; the top-level rules apply to every route (and to Portico's own answers),
/// a route's rules run after them, and values use the request's variables and the route's captures.
/// </summary>
public sealed class HeaderRulesTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private TestProxy _proxy = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("echo", ctx =>
        {
            ctx.Response.Headers["X-Backend-Internal"] = "yes";
            ctx.Response.Headers.CacheControl = ctx.Request.Path.StartsWithSegments("/cached") ? "public, max-age=60" : "private";
            return ctx.Response.WriteAsync("ok");
        });
        _proxy = await TestProxy.StartAsync($$$"""
            headers:
              request:
                remove: [X-Drop-Default]
                set: { X-Client: "{client_ip}", X-Default: default }
              response:
                set:
                  X-Content-Type-Options: nosniff
                  Referrer-Policy: strict-origin-when-cross-origin
                  X-Frame-Options: DENY
                  Content-Security-Policy: "default-src 'self'; frame-ancestors 'none'"
                  X-Served-Route: "r={route}"
            routes:
              users:
                match: { path: "/users/{id}/{**rest}" }
                cluster: echo
                headers:
                  request:
                    remove: [X-Secret]
                    set:
                      X-User: "{path.id}"
                      X-Default: route
                      X-Meta: "{method} {scheme}://{host}{path}?{query} r={route} c={cluster} id={request_id} {{literal}}"
                    append: { X-Tags: two }
                  response:
                    remove: [X-Backend-Internal]
                    set: { X-Time: "{time_unix}", X-Date: "{time_rfc1123}" }
                    append: { Cache-Control: no-transform }
              items:
                match: { pathPrefix: /items, pathRegex: '^/items/(?<kind>[a-z]+)/(\d+)$' }
                cluster: echo
                headers:
                  request:
                    set: { X-Item: "{re.kind}-{re.1}", X-Whole: "{re.0}" }
              cached:
                match: { pathPrefix: /cached }
                cluster: echo
                cache: {}
                headers:
                  response:
                    set: { X-Id: "{request_id}" }
              down: { match: { pathPrefix: /down }, cluster: down }
              plain: { match: { pathPrefix: /plain }, cluster: echo }
            clusters:
              echo: { destinations: [{{{_backend.Url}}}] }
              down: { destinations: [http://127.0.0.1:{{{FreePorts.Take()}}}] }
            """);
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Route_rules_run_after_the_defaults_with_the_requests_variables()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/users/42/photos?size=big");
        request.Headers.Add("X-Secret", "s3cret");
        request.Headers.Add("X-Drop-Default", "gone");
        request.Headers.Add("X-Tags", "one");

        var response = await _proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Last().Headers;
        var id = response.Headers.GetValues("X-Request-Id").Single();
        Assert.Equal("42", seen["X-User"]);
        Assert.Equal("route", seen["X-Default"]);
        Assert.Equal("127.0.0.1", seen["X-Client"]);
        Assert.Equal($"GET http://{_proxy.Address.Authority}/users/42/photos?size=big r=users c=echo id={id} {{literal}}", seen["X-Meta"]);
        Assert.Equal(["one", "two"], seen["X-Tags"].Split(',', StringSplitOptions.TrimEntries));
        Assert.False(seen.ContainsKey("X-Secret"));
        Assert.False(seen.ContainsKey("X-Drop-Default"));
    }

    [Fact]
    public async Task A_route_without_rules_gets_the_defaults_only()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/plain");
        request.Headers.Add("X-Drop-Default", "gone");
        request.Headers.Add("X-Secret", "kept");

        var response = await _proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        var seen = Last().Headers;
        Assert.Equal("default", seen["X-Default"]);
        Assert.Equal("127.0.0.1", seen["X-Client"]);
        Assert.Equal("kept", seen["X-Secret"]);
        Assert.False(seen.ContainsKey("X-Drop-Default"));
        Assert.False(seen.ContainsKey("X-User"));
        AssertSecurityHeaders(response);
        Assert.Equal("r=plain", response.Headers.GetValues("X-Served-Route").Single());
        Assert.Equal("yes", response.Headers.GetValues("X-Backend-Internal").Single());
    }

    [Fact]
    public async Task Regex_groups_by_number_and_name_and_the_whole_match()
    {
        var response = await _proxy.Client.GetAsync("/items/book/7", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Last().Headers;
        Assert.Equal("book-7", seen["X-Item"]);
        Assert.Equal("/items/book/7", seen["X-Whole"]);
    }

    [Fact]
    public async Task Response_rules_remove_set_and_append_on_the_way_to_the_client()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var response = await _proxy.Client.GetAsync("/users/7/x", TestContext.Current.CancellationToken);
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.False(response.Headers.Contains("X-Backend-Internal"));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("r=users", response.Headers.GetValues("X-Served-Route").Single());
        Assert.True(response.Headers.CacheControl is { Private: true, NoTransform: true }, response.Headers.CacheControl?.ToString());
        var time = long.Parse(response.Headers.GetValues("X-Time").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(time, before, after);
        var date = DateTimeOffset.ParseExact(response.Headers.GetValues("X-Date").Single(), "r", CultureInfo.InvariantCulture);
        Assert.InRange(date.ToUnixTimeSeconds(), before, after);
    }

    [Theory]
    [InlineData("/nowhere", HttpStatusCode.NotFound, "r=")]
    [InlineData("/down", HttpStatusCode.BadGateway, "r=down")]
    public async Task Portico_own_answers_get_the_response_rules(string path, HttpStatusCode status, string route)
    {
        var response = await _proxy.Client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(status, response.StatusCode);
        AssertSecurityHeaders(response);
        Assert.Equal(route, response.Headers.GetValues("X-Served-Route").Single());
    }

    [Fact]
    public async Task A_cache_hit_gets_its_own_values_and_the_cache_keeps_the_backends_fields()
    {
        var first = await _proxy.Client.GetAsync("/cached/a", TestContext.Current.CancellationToken);
        var second = await _proxy.Client.GetAsync("/cached/a", TestContext.Current.CancellationToken);

        Assert.Equal(1, _backend.Requests.Count(r => r.PathAndQuery == "/cached/a"));
        Assert.Contains("hit", second.Headers.GetValues("Cache-Status").Single(), StringComparison.Ordinal);
        foreach (var response in new[] { first, second })
        {
            Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), response.Headers.GetValues("X-Id").Single());
        }

        Assert.NotEqual(first.Headers.GetValues("X-Id").Single(), second.Headers.GetValues("X-Id").Single());
    }

    [Theory]
    [InlineData("/users/a%0D%0Ab/x", "a%0D%0Ab")]
    [InlineData("/users/%C3%A9t%C3%A9/x", "%C3%A9t%C3%A9")]
    public async Task A_capture_that_is_not_visible_ascii_is_sent_percent_encoded(string path, string expected)
    {
        var response = await _proxy.Client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, Last().Headers["X-User"]);
    }

    [Fact]
    public async Task A_reload_changes_the_rules_of_a_route_whose_match_is_unchanged()
    {
        var yaml = await File.ReadAllTextAsync(_proxy.ConfigPath, TestContext.Current.CancellationToken);
        var outcome = await _proxy.RewriteConfigAsync(yaml.Replace("X-Default: default", "X-Default: reloaded", StringComparison.Ordinal));
        Assert.True(outcome.Applied, string.Join("\n", outcome.Errors));

        await _proxy.Client.GetAsync("/plain", TestContext.Current.CancellationToken);

        Assert.Equal("reloaded", Last().Headers["X-Default"]);
    }

    [Fact]
    public async Task Top_level_rules_alone_apply_to_a_plain_route()
    {
        await using var proxy = await TestProxy.StartAsync($$"""
            headers:
              request: { set: { X-Default: alone } }
              response: { set: { X-Route: "{route}" } }
            routes:
              plain: { match: { pathPrefix: / }, cluster: echo }
            clusters:
              echo: { destinations: [{{_backend.Url}}] }
            """);

        var response = await proxy.Client.GetAsync("/anything", TestContext.Current.CancellationToken);

        Assert.Equal("alone", Last().Headers["X-Default"]);
        Assert.Equal("plain", response.Headers.GetValues("X-Route").Single());
    }

    /// <summary>The security-header presets the docs give, as the fixture's top-level rules set them.</summary>
    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("default-src 'self'; frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    private RecordedRequest Last() => _backend.Requests.Last();
}
