using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// <summary>
/// Redirects, rewrites and what comes back, end to end, against a backend that answers with the
/// request target and Host exactly as they reached it (<see cref="TargetEchoBackend"/>).
/// </summary>
public sealed class RewriteTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private TestProxy _proxy = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TargetEchoBackend.StartAsync();
        _proxy = await TestProxy.StartAsync($$$"""
            routes:
              moved:
                match: { pathPrefix: /old }
                cluster: echo
                redirects:
                  - { path: /old/about, to: /about, status: 301 }
                  - { path: /old/see, to: /other, status: 303, query: drop }
                  - { path: /old/temp, to: "/t?from=old", status: 307 }
                  - { pathRegex: '^/old/blog/(?<slug>[a-z0-9-]+)/(\d+)$', to: "https://blog.example.com/{re.1}/{re.slug}", status: 308 }
                  - { pathRegex: '^/old/(.*)$', to: "/new/{re.1}" }
              gone:
                match: { hosts: [old.example], pathPrefix: / }
                redirects:
                  - { pathRegex: '^/(page/.*)$', to: "https://new.example/{re.1}", status: 301 }
              api:
                match: { pathPrefix: /api }
                cluster: echo
                rewrite: { pathPrefix: /v2 }
              strip:
                match: { pathPrefix: /strip }
                cluster: echo
                rewrite: { pathPrefix: / }
              shop:
                match: { pathPrefix: /shop }
                cluster: echo
                rewrite: { pathRegex: '^/shop/(\d+)/(?<name>[^/]+)$', path: "/items/{re.name}?id={re.1}" }
              query:
                match: { pathPrefix: /q }
                cluster: echo
                rewrite: { query: { remove: [utm_source], set: { lang: en }, append: { via: "{route}" } } }
              host:
                match: { pathPrefix: /host }
                cluster: echo
                rewrite: { host: internal.example }
              docs:
                match: { pathPrefix: /docs }
                cluster: echo
                normalize: { trailingSlash: add, lowercase: true }
              files:
                match: { pathPrefix: /files }
                cluster: echo
                normalize: { trailingSlash: remove, status: 301 }
            clusters:
              echo: { destinations: [{{{_backend.Url}}}] }
            """);
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Theory]
    [InlineData("/old/about", 301, "/about")]
    [InlineData("/old/about?x=1&y=2", 301, "/about?x=1&y=2")]
    [InlineData("/old/see?x=1", 303, "/other")]
    [InlineData("/old/temp?x=1", 307, "/t?from=old&x=1")]
    [InlineData("/old/blog/hello-world/42", 308, "https://blog.example.com/42/hello-world")]
    [InlineData("/old/misc/page", 302, "/new/misc/page")]
    [InlineData("/old/a%2Fb", 302, "/new/a%2Fb")]
    [InlineData("/old/caf%C3%A9", 302, "/new/caf%C3%A9")]
    [InlineData("/old/what%3Fnot%23here", 302, "/new/what%3Fnot%23here")]
    public async Task The_redirect_table_answers_with_the_first_matching_rule(string target, int status, string location)
    {
        var before = _backend.Count;

        var response = await RawHttp.SendAsync(_proxy.Address, $"GET {target} HTTP/1.1\r\nHost: {_proxy.Address.Authority}\r\nConnection: close\r\n\r\n");

        Assert.Equal(status, response.Status);
        Assert.Contains($"\r\nLocation: {location}\r\n", response.Text, StringComparison.Ordinal);
        Assert.Equal(before, _backend.Count);
    }

    [Fact]
    public async Task A_route_without_a_cluster_redirects_what_its_rules_take_and_answers_404_to_the_rest()
    {
        using var counters = new ProxyCounters(_proxy, "portico.redirects");

        var moved = await RawHttp.SendAsync(_proxy.Address, "GET /page/a?b=1 HTTP/1.1\r\nHost: old.example\r\nConnection: close\r\n\r\n");
        var other = await RawHttp.SendAsync(_proxy.Address, "GET /other HTTP/1.1\r\nHost: old.example\r\nConnection: close\r\n\r\n");

        Assert.Equal(301, moved.Status);
        Assert.Contains("\r\nLocation: https://new.example/page/a?b=1\r\n", moved.Text, StringComparison.Ordinal);
        Assert.Equal(404, other.Status);
        Assert.Equal(1, counters.Value("portico.redirects", ("route", "gone"), ("status", "301")));
    }

    [Theory]
    [InlineData("/api/users?id=1", "/v2/users?id=1")]
    [InlineData("/api", "/v2")]
    [InlineData("/API/x", "/v2/x")]
    [InlineData("/api/a%2Fb", "/v2/a%2Fb")]
    [InlineData("/strip/a/b?q", "/a/b?q")]
    [InlineData("/strip", "/")]
    [InlineData("/shop/7/red%20shoe", "/items/red%20shoe?id=7")]
    [InlineData("/shop/7/x?ref=1", "/items/x?id=7&ref=1")]
    [InlineData("/shop/7/a%2Fb", "/items/a%2Fb?id=7")]
    [InlineData("/shop/abc", "/shop/abc")]
    [InlineData("/q?utm_source=news&lang=de&a=1&b=%zz", "/q?a=1&b=%zz&lang=en&via=query")]
    [InlineData("/q", "/q?lang=en&via=query")]
    public async Task The_backend_gets_the_rewritten_target(string target, string sent)
    {
        var response = await RawHttp.SendAsync(_proxy.Address, $"GET {target} HTTP/1.1\r\nHost: {_proxy.Address.Authority}\r\nConnection: close\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.EndsWith($"\r\n\r\n{sent}\n{_proxy.Address.Authority}", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_backend_gets_the_rewritten_host()
    {
        var body = await _proxy.Client.GetStringAsync("/host/x?y=1", TestContext.Current.CancellationToken);

        Assert.Equal("/host/x?y=1\ninternal.example", body);
    }

    [Theory]
    [InlineData("/api/..%2F..%2Fsecret")]
    [InlineData("/api/%2E%2E%2Fsecret")]
    [InlineData("/strip/..%2Fetc")]
    [InlineData("/shop/7/..%2F..%2Fadmin")]
    public async Task A_rewrite_that_would_climb_out_of_its_target_is_refused(string target)
    {
        var before = _backend.Count;

        var response = await RawHttp.SendAsync(_proxy.Address, $"GET {target} HTTP/1.1\r\nHost: {_proxy.Address.Authority}\r\nConnection: close\r\n\r\n");

        Assert.Equal(400, response.Status);
        Assert.Equal(before, _backend.Count);
    }

    [Theory]
    [InlineData("/docs/Guide", 308, "/docs/guide/")]
    [InlineData("/DOCS/guide/?v=1", 308, "/docs/guide/?v=1")]
    [InlineData("/docs/A%2Fb/", 308, "/docs/a%2Fb/")]
    [InlineData("/files/a/", 301, "/files/a")]
    [InlineData("/files/a//", 301, "/files/a")]
    [InlineData("/files/", 301, "/files")]
    public async Task Normalization_redirects_to_the_one_spelling(string target, int status, string location)
    {
        var response = await RawHttp.SendAsync(_proxy.Address, $"GET {target} HTTP/1.1\r\nHost: {_proxy.Address.Authority}\r\nConnection: close\r\n\r\n");

        Assert.Equal(status, response.Status);
        Assert.Contains($"\r\nLocation: {location}\r\n", response.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/docs/guide/")]
    [InlineData("/docs/app.js")]
    [InlineData("/files/a")]
    public async Task A_path_in_its_one_spelling_is_forwarded(string target)
    {
        var response = await _proxy.Client.GetAsync(target, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Location_and_cookies_of_a_prefix_rewrite_are_turned_back()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/login");
        request.Headers.Add("X-Answer-Redirect", "1");

        var response = await _proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        var origin = $"http://{_proxy.Address.Authority}";
        Assert.Equal($"{origin}/api/login/done", response.Headers.Location!.OriginalString);
        Assert.Equal("/api/login", response.Content.Headers.ContentLocation!.OriginalString);
        Assert.Equal(["sid=1; Path=/api/login; HttpOnly", $"pref=a; Domain={_proxy.Address.Host}; Path=/"], response.Headers.GetValues("Set-Cookie"));
    }

    [Fact]
    public async Task Location_and_cookie_domain_of_a_host_rewrite_are_turned_back()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/host/in");
        request.Headers.Add("X-Answer-Redirect", "1");

        var response = await _proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal($"http://{_proxy.Address.Authority}/host/in/done", response.Headers.Location!.OriginalString);
        Assert.Equal(["sid=1; Path=/host/in; HttpOnly", $"pref=a; Domain={_proxy.Address.Host}; Path=/"], response.Headers.GetValues("Set-Cookie"));
    }

    [Fact]
    public async Task A_route_without_a_rewrite_leaves_what_comes_back_alone()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/docs/x/");
        request.Headers.Add("X-Answer-Redirect", "1");

        var response = await _proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal($"http://{_proxy.Address.Authority}/docs/x//done", response.Headers.Location!.OriginalString);
        Assert.Equal(["sid=1; Path=/docs/x/; HttpOnly", $"pref=a; Domain={_proxy.Address.Host}; Path=/"], response.Headers.GetValues("Set-Cookie"));
    }
}
