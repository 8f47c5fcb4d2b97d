using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.Observability;

namespace Portico.IntegrationTests.Security;

/// <summary>Allow and deny lists per listener and per route, on the real client address.</summary>
public sealed class IpRulesTests
{
    [Fact]
    public async Task Route_rules_allow_and_deny_by_CIDR_and_deny_wins()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              internal: { match: { pathPrefix: /internal }, cluster: app, ipRules: { allow: [10.0.0.0/8] } }
              blocked: { match: { pathPrefix: /blocked }, cluster: app, ipRules: { allow: [127.0.0.0/8], deny: [127.0.0.1] } }
              local: { match: { pathPrefix: /local }, cluster: app, ipRules: { allow: [127.0.0.0/8, "::1"] } }
              open: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(HttpStatusCode.Forbidden, (await proxy.Client.GetAsync("/internal", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await proxy.Client.GetAsync("/blocked", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync("/local", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync("/", ct)).StatusCode);
        Assert.Equal(["/local", "/"], backend.Requests.Select(r => r.PathAndQuery));
        Assert.Equal(2, proxy.Services.GetRequiredService<TrafficStats>().LocalReasons["ip_denied"]);
    }

    [Fact]
    public async Task Rules_judge_the_client_behind_a_trusted_proxy_not_the_proxy_itself()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            proxy: { trustedProxies: [127.0.0.1] }
            routes:
              all: { match: { pathPrefix: / }, cluster: app, ipRules: { deny: [203.0.113.0/24, "2001:db8::/32"] } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;

        async Task<HttpStatusCode> From(string forwardedFor)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            return (await proxy.Client.SendAsync(request, ct)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Forbidden, await From("203.0.113.7"));
        Assert.Equal(HttpStatusCode.Forbidden, await From("2001:db8::5"));
        Assert.Equal(HttpStatusCode.OK, await From("198.51.100.1"));
        // The right-most untrusted hop is the client; a forged left-most entry changes nothing.
        Assert.Equal(HttpStatusCode.Forbidden, await From("198.51.100.1, 203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await From("203.0.113.7, 198.51.100.1"));
        Assert.Equal(2, backend.Count);
    }

    [Fact]
    public async Task Forwarded_addresses_from_an_untrusted_peer_are_ignored()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              all: { match: { pathPrefix: / }, cluster: app, ipRules: { allow: [198.51.100.0/24] } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-For", "198.51.100.1");

        var response = await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, backend.Count);
    }

    [Fact]
    public async Task Listener_rules_apply_to_every_route_of_that_listener_only_over_IPv4_and_IPv6()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              v4: { address: "127.0.0.1:0", ipRules: { deny: [127.0.0.0/8] } }
              v6: { address: "[::1]:0", ipRules: { allow: ["::1/128"] } }
              other: { address: "127.0.0.2:0", ipRules: { allow: [10.0.0.0/8, "::1"] } }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;
        using var client = new HttpClient();

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(proxy.Addresses[0], ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(proxy.Addresses[1], ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(proxy.Addresses[2], ct)).StatusCode);
        Assert.Equal(1, backend.Count);
    }
}
