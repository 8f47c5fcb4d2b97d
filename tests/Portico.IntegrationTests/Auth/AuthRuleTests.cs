using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>`allow` rules: authenticated callers the rules do not let in get 403 and are not forwarded.</summary>
public sealed class AuthRuleTests
{
    [Fact]
    public async Task Scopes_key_names_and_client_addresses_decide_and_a_refused_caller_gets_403()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              write:
                match: { pathPrefix: /write }
                cluster: app
                auth:
                  apiKey:
                    keys:
                      - { name: reader, sha256: {{AuthFiles.Sha256("r")}}, scopes: [read] }
                      - { name: writer, sha256: {{AuthFiles.Sha256("w")}}, scopes: [read, write] }
                      - { name: ops, sha256: {{AuthFiles.Sha256("o")}} }
                  allow:
                    - { scopes: [read, write] }
                    - { apiKeys: [ops], ipRanges: [127.0.0.0/8] }
              office:
                match: { pathPrefix: /office }
                cluster: app
                auth:
                  apiKey: { keys: [{ name: ops, sha256: {{AuthFiles.Sha256("o")}} }] }
                  allow: [{ ipRanges: [10.0.0.0/8] }]
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        async Task<HttpStatusCode> Get(string path, string key) => (await AuthFiles.GetWithKeyAsync(proxy.Client, path, key)).StatusCode;

        Assert.Equal(HttpStatusCode.Forbidden, await Get("/write", "r"));
        Assert.Equal(HttpStatusCode.OK, await Get("/write", "w"));
        Assert.Equal(HttpStatusCode.OK, await Get("/write", "o"));
        Assert.Equal(HttpStatusCode.Forbidden, await Get("/office", "o"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/office", "x"));
        Assert.Equal(["writer", "ops"], backend.Requests.Select(r => r.Headers["X-Auth-User"]));
        Assert.Contains(proxy.Logs.Messages(3301), m => m.Contains("route office with 403: forbidden"));
    }

    [Fact]
    public async Task The_route_ip_rules_refuse_before_any_credential_is_checked()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api:
                match: { pathPrefix: / }
                cluster: app
                ipRules: { allow: [10.0.0.0/8] }
                auth: { apiKey: { keys: [{ name: k, sha256: {{AuthFiles.Sha256("k")}} }] } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        using var counters = new ProxyCounters(proxy, "portico.auth");

        var response = await AuthFiles.GetWithKeyAsync(proxy.Client, "/", "k");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, counters.Value("portico.auth.requests"));
        Assert.Equal(0, backend.Count);
    }
}
