using System.Net;
using System.Net.Http.Headers;
using Microsoft.IdentityModel.Tokens;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>JWT bearer tokens against keys from a JWKS URL (a real server) or PEM files; only a good token reaches the backend.</summary>
public sealed class JwtTests
{
    private static string Route(string keys, string extra = "") => $$"""
              api:
                match: { pathPrefix: /api }
                cluster: app
                auth:
                  jwt: { issuer: {{TokenIssuer.Issuer}}, audience: {{TokenIssuer.Audience}}, {{keys}}, algorithms: [RS256], clockSkew: 30s }
                  identityHeaders: { claims: { X-Auth-Roles: roles } }
            {{extra}}
            """;

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string? token, Version? version = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Version = version ?? HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("http1")]
    [InlineData("h2c")]
    public async Task A_good_token_passes_and_expired_early_misaddressed_forged_unsigned_and_missing_ones_get_401(string protocol)
    {
        var key = TokenIssuer.NewKey("k1");
        await using var issuer = await TokenIssuer.StartAsync(key);
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              main: { address: "127.0.0.1:0", protocols: [{{protocol}}] }
            routes:
            {{Route($"jwksUrl: \"{issuer.JwksUrl}\"")}}
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        using var client = new HttpClient { BaseAddress = proxy.Address };
        var version = protocol == "h2c" ? HttpVersion.Version20 : HttpVersion.Version11;
        var forger = TokenIssuer.NewKey("k1");
        var now = DateTime.UtcNow;

        var good = await GetAsync(client, "/api", TokenIssuer.Token(key, edit: d => d.Claims["roles"] = new[] { "admin", "ops" }), version);
        var refused = new Dictionary<string, HttpResponseMessage>
        {
            ["expired"] = await GetAsync(client, "/api", TokenIssuer.Token(key, edit: d => (d.NotBefore, d.Expires) = (now.AddHours(-2), now.AddHours(-1))), version),
            ["not yet valid"] = await GetAsync(client, "/api", TokenIssuer.Token(key, edit: d => (d.NotBefore, d.Expires) = (now.AddHours(1), now.AddHours(2))), version),
            ["wrong audience"] = await GetAsync(client, "/api", TokenIssuer.Token(key, edit: d => d.Audience = "billing-api"), version),
            ["wrong issuer"] = await GetAsync(client, "/api", TokenIssuer.Token(key, edit: d => d.Issuer = "https://evil.test"), version),
            ["wrong signature"] = await GetAsync(client, "/api", TokenIssuer.Token(forger), version),
            ["algorithm not allowed"] = await GetAsync(client, "/api", TokenIssuer.Token(key, algorithm: SecurityAlgorithms.RsaSsaPssSha256), version),
            ["alg none"] = await GetAsync(client, "/api", TokenIssuer.Unsigned("k1"), version),
            ["no exp"] = await GetAsync(client, "/api", TokenIssuer.Token(key, edit: d => d.Expires = null), version),
            ["garbage"] = await GetAsync(client, "/api", "not.a.token", version),
        };
        var missing = await GetAsync(client, "/api", null, version);

        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(version, good.Version);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("alice", seen.Headers["X-Auth-User"]);
        Assert.Equal("jwt", seen.Headers["X-Auth-Scheme"]);
        Assert.Equal("admin, ops", seen.Headers["X-Auth-Roles"]);
        Assert.False(seen.Headers.ContainsKey("Authorization"));
        foreach (var (name, response) in refused)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{name}: {response.StatusCode}");
            Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.Single().ToString());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().ToString());
        Assert.Equal(1, backend.Count);
        Assert.Equal(1, issuer.JwksFetches);
    }

    [Fact]
    public async Task Required_roles_and_scopes_come_from_the_token_and_a_token_without_them_gets_403()
    {
        var key = TokenIssuer.NewKey("k1");
        await using var issuer = await TokenIssuer.StartAsync(key);
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              orders:
                match: { pathPrefix: /orders }
                cluster: app
                auth:
                  jwt: { {{issuer.Settings}} }
                  allow: [{ roles: [admin], scopes: [orders.write], claims: { tenant: [acme, globex] } }]
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        string Token(string[] roles, string scope, string tenant) => TokenIssuer.Token(key, edit: d =>
        {
            d.Claims["roles"] = roles;
            d.Claims["scope"] = scope;
            d.Claims["tenant"] = tenant;
        });

        var allowed = await GetAsync(proxy.Client, "/orders", Token(["admin"], "orders.read orders.write", "acme"));
        var noRole = await GetAsync(proxy.Client, "/orders", Token(["user"], "orders.read orders.write", "acme"));
        var noScope = await GetAsync(proxy.Client, "/orders", Token(["admin"], "orders.read", "acme"));
        var otherTenant = await GetAsync(proxy.Client, "/orders", Token(["admin"], "orders.write", "initech"));

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden],
            new[] { allowed, noRole, noScope, otherTenant }.Select(r => r.StatusCode));
        Assert.Equal(1, backend.Count);
    }

    [Fact]
    public async Task A_rotated_key_is_picked_up_from_the_jwks_without_a_restart()
    {
        var (oldKey, newKey) = (TokenIssuer.NewKey("2026-01"), TokenIssuer.NewKey("2026-02"));
        await using var issuer = await TokenIssuer.StartAsync(oldKey);
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api:
                match: { pathPrefix: /api }
                cluster: app
                auth: { jwt: { {{issuer.Settings}}, jwksMinRefresh: 100ms } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(proxy.Client, "/api", TokenIssuer.Token(oldKey))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(proxy.Client, "/api", TokenIssuer.Token(newKey))).StatusCode);

        issuer.Publish(oldKey, newKey);
        await Poll.UntilAsync(async () => (await GetAsync(proxy.Client, "/api", TokenIssuer.Token(newKey))).StatusCode == HttpStatusCode.OK, "the new key to be fetched");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(proxy.Client, "/api", TokenIssuer.Token(oldKey))).StatusCode);
        Assert.Contains(proxy.Logs.Messages(3307), m => m.Contains("fetched 2 signing key(s)"));
    }

    [Fact]
    public async Task Tokens_with_unknown_key_ids_do_not_fetch_the_jwks_more_often_than_the_minimum_interval()
    {
        var key = TokenIssuer.NewKey("real");
        await using var issuer = await TokenIssuer.StartAsync(key);
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api:
                match: { pathPrefix: /api }
                cluster: app
                auth: { jwt: { {{issuer.Settings}}, jwksMinRefresh: 1h }, failedAttempts: off }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(proxy.Client, "/api", TokenIssuer.Token(key))).StatusCode);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(proxy.Client, "/api", TokenIssuer.Token(TokenIssuer.NewKey($"made-up-{i}")))).StatusCode);
        }

        Assert.Equal(1, issuer.JwksFetches);
        Assert.Equal(1, backend.Count);
    }

    [Fact]
    public async Task Static_public_keys_from_pem_files_validate_tokens()
    {
        var key = TokenIssuer.NewKey("signer");
        var folder = AuthFiles.NewFolder();
        var pem = Path.Combine(folder, "signer.pem");
        await File.WriteAllTextAsync(pem, key.Rsa.ExportSubjectPublicKeyInfoPem(), TestContext.Current.CancellationToken);
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
            {{Route($"publicKeys: [{pem}]")}}
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);

        var good = await GetAsync(proxy.Client, "/api", TokenIssuer.Token(key));
        var forged = await GetAsync(proxy.Client, "/api", TokenIssuer.Token(TokenIssuer.NewKey("signer")));

        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(1, backend.Count);
        Directory.Delete(folder, recursive: true);
    }
}
