using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Forwarding;

public sealed class ForwardingTests
{
    private static string OneCluster(string url, string extraCluster = "", string extraRoute = "") => $"""
        routes:
          all:
            match: {"{"} pathPrefix: / {"}"}
            cluster: app
        {extraRoute}
        clusters:
          app:
            destinations: [{url}]
        {extraCluster}
        """;

    [Fact]
    public async Task Forwards_method_path_query_and_body_over_http1()
    {
        await using var backend = await TestBackend.StartAsync("b", async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            await ctx.Response.WriteAsync($"{ctx.Request.Method} {ctx.Request.Path}{ctx.Request.QueryString} {await reader.ReadToEndAsync()}");
        });
        await using var proxy = await TestProxy.StartAsync(OneCluster(backend.Url));

        var response = await proxy.Client.PostAsync("/a/b?x=1&y=%20", new StringContent("hello"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("POST /a/b?x=1&y=%20 hello", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Backend_identifying_headers_are_hidden_and_portico_adds_no_server_header()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.Headers["Server"] = "Apache/2.4.1 (Unix)";
            ctx.Response.Headers["X-Powered-By"] = "PHP/5.6";
            ctx.Response.Headers["X-AspNet-Version"] = "4.0";
            ctx.Response.Headers["X-Kept"] = "yes";
            return ctx.Response.WriteAsync("ok");
        });
        await using var proxy = await TestProxy.StartAsync(OneCluster(backend.Url));

        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.False(response.Headers.Contains("Server"));
        Assert.False(response.Headers.Contains("X-Powered-By"));
        Assert.False(response.Headers.Contains("X-AspNet-Version"));
        Assert.Equal("yes", response.Headers.GetValues("X-Kept").Single());
    }

    [Fact]
    public async Task Hidden_header_list_is_configurable()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx =>
        {
            ctx.Response.Headers["Server"] = "backend";
            ctx.Response.Headers["X-Internal"] = "secret";
            return ctx.Response.WriteAsync("ok");
        });
        await using var proxy = await TestProxy.StartAsync("proxy:\n  hideResponseHeaders: [X-Internal]\n" + OneCluster(backend.Url));

        var response = await proxy.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal("backend", response.Headers.GetValues("Server").Single());
        Assert.False(response.Headers.Contains("X-Internal"));
    }

    [Fact]
    public async Task Spoofed_forwarding_headers_from_an_untrusted_peer_are_replaced()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(OneCluster(backend.Url));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "evil.example");
        request.Headers.Add("Forwarded", "for=6.6.6.6");

        await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        var seen = backend.Requests.Single().Headers;
        Assert.Equal("127.0.0.1", seen["X-Forwarded-For"]);
        Assert.Equal("http", seen["X-Forwarded-Proto"]);
        Assert.Equal(proxy.Address.Authority, seen["X-Forwarded-Host"]);
        Assert.Equal($"for=127.0.0.1;proto=http;host=\"{proxy.Address.Authority}\"", seen["Forwarded"]);
    }

    [Fact]
    public async Task Forwarding_headers_from_a_trusted_proxy_are_kept_and_appended_to()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync("proxy:\n  trustedProxies: [127.0.0.0/8]\n" + OneCluster(backend.Url));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("Forwarded", "for=203.0.113.7;proto=https");

        await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        var seen = backend.Requests.Single().Headers;
        Assert.Equal("203.0.113.7, 127.0.0.1", seen["X-Forwarded-For"]);
        Assert.Equal("https", seen["X-Forwarded-Proto"]);
        Assert.Equal($"for=203.0.113.7;proto=https, for=127.0.0.1;proto=http;host=\"{proxy.Address.Authority}\"", seen["Forwarded"]);
    }

    [Fact]
    public async Task Client_host_is_preserved_by_default_and_can_be_replaced_by_the_destination_host()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var yaml = $"""
            routes:
              keep: {"{"} match: {"{"} pathPrefix: /keep {"}"}, cluster: app {"}"}
              replace: {"{"} match: {"{"} pathPrefix: /replace {"}"}, cluster: app, preserveHost: false {"}"}
            clusters:
              app: {"{"} destinations: [{backend.Url}] {"}"}
            """;
        await using var proxy = await TestProxy.StartAsync(yaml);
        foreach (var path in new[] { "/keep", "/replace" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = "www.example.com";
            await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);
        }

        var hosts = backend.Requests.Select(r => r.Headers["Host"]).ToArray();
        Assert.Equal(["www.example.com", backend.Address.Authority], hosts);
    }

    [Fact]
    public async Task H2c_listener_serves_http2_clients_and_can_speak_http2_to_backends()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync(ctx.Request.Protocol), HttpProtocols.Http2);
        var yaml = $"""
            listeners:
              h2c: {"{"} address: "127.0.0.1:0", protocols: [h2c] {"}"}
            routes:
              all: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app:
                http: {"{"} version: "2" {"}"}
                destinations: [{backend.Url}]
            """;
        await using var proxy = await TestProxy.StartAsync(yaml);
        using var client = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        var response = await client.GetAsync(new Uri(proxy.Address, "/"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("HTTP/2", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
