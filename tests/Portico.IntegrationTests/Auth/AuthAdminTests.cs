using System.Net;
using System.Text.Json;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>The admin API shows each route's auth, without secrets; /metrics has the auth series.</summary>
public sealed class AuthAdminTests
{
    [Fact]
    public async Task The_routes_api_shows_schemes_key_names_and_rules_but_no_hashes()
    {
        await using var backend = await TestBackend.StartAsync("app");
        var hash = AuthFiles.Sha256("k");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api:
                match: { pathPrefix: /api }
                cluster: app
                auth:
                  apiKey: { keys: [{ name: ci, sha256: {{hash}}, scopes: [read] }] }
                  allow: [{ scopes: [read], ipRanges: [127.0.0.0/8] }]
              open: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await AuthFiles.GetWithKeyAsync(proxy.Client, "/api", "k")).StatusCode);

        var text = await admin.GetStringAsync("/api/routes", ct);
        var metrics = await admin.GetStringAsync("/metrics", ct);

        using var json = JsonDocument.Parse(text);
        var auth = json.RootElement.GetProperty("api").GetProperty("auth");
        Assert.Equal("[\"apiKey\"]", auth.GetProperty("schemes").GetRawText());
        Assert.Equal("X-Api-Key", auth.GetProperty("apiKey").GetProperty("header").GetString());
        Assert.Equal("{\"name\":\"ci\",\"scopes\":[\"read\"]}", auth.GetProperty("apiKey").GetProperty("keys")[0].GetRawText());
        Assert.Equal("127.0.0.0/8", auth.GetProperty("allow")[0].GetProperty("ipRanges")[0].GetString());
        Assert.Equal("X-Auth-User", auth.GetProperty("identityHeaders").GetProperty("user").GetString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("open").GetProperty("auth").ValueKind);
        Assert.DoesNotContain(hash, text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("portico_auth_requests_total{otel_scope_name=\"Portico.Auth\",outcome=\"allowed\",route=\"api\",scheme=\"apiKey\"} 1", metrics);
    }
}
