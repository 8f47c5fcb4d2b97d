using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>API keys in a header or query parameter: good keys pass with their name, every refused request stays off the backend.</summary>
public sealed class ApiKeyTests
{
    [Theory]
    [InlineData("http1")]
    [InlineData("h2c")]
    public async Task A_good_key_passes_with_its_name_and_a_bad_or_missing_one_gets_401_and_never_reaches_the_backend(string protocol)
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              main: { address: "127.0.0.1:0", protocols: [{{protocol}}] }
            routes:
              api:
                match: { pathPrefix: /api }
                cluster: app
                auth:
                  apiKey:
                    keys:
                      - { name: ci-bot, sha256: {{AuthFiles.Sha256("s3cret-key")}}, scopes: [read, write] }
                  identityHeaders: { claims: { X-Auth-Scopes: scope } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        using var client = new HttpClient { BaseAddress = proxy.Address };
        var version = protocol == "h2c" ? HttpVersion.Version20 : HttpVersion.Version11;
        var ct = TestContext.Current.CancellationToken;

        async Task<HttpResponseMessage> Get(string? key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/items") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            if (key is not null)
            {
                request.Headers.Add("X-Api-Key", key);
            }

            return await client.SendAsync(request, ct);
        }

        var good = await Get("s3cret-key");
        var bad = await Get("wrong-key");
        var missing = await Get(null);

        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(version, good.Version);
        var seen = Assert.Single(backend.Requests);
        Assert.Equal("ci-bot", seen.Headers["X-Auth-User"]);
        Assert.Equal("apiKey", seen.Headers["X-Auth-Scheme"]);
        Assert.Equal("read, write", seen.Headers["X-Auth-Scopes"]);
        Assert.False(seen.Headers.ContainsKey("X-Api-Key"));
        foreach (var refused in new[] { bad, missing })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("ApiKey header=\"X-Api-Key\"", refused.Headers.WwwAuthenticate.Single().ToString());
        }

        Assert.Equal(1, backend.Count);
        Assert.DoesNotContain(proxy.Logs.Lines, l => l.Message.Contains("s3cret-key") || l.Message.Contains("wrong-key"));
        Assert.Contains(proxy.Logs.Messages(3301), m => m.Contains("route api with 401: invalid"));
        Assert.Contains(proxy.Logs.Messages(3301), m => m.Contains("route api with 401: missing"));
    }

    [Fact]
    public async Task A_key_in_the_query_is_removed_from_the_forwarded_url_unless_credentials_are_forwarded()
    {
        await using var backend = await TestBackend.StartAsync("app");
        var hash = AuthFiles.Sha256("k1");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              strip: { match: { pathPrefix: /strip }, cluster: app, auth: { apiKey: { query: api_key, keys: [{ name: one, sha256: {{hash}} }] } } }
              keep: { match: { pathPrefix: /keep }, cluster: app, auth: { apiKey: { query: api_key, keys: [{ name: one, sha256: {{hash}} }] }, forwardCredentials: true } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;

        var stripped = await proxy.Client.GetAsync("/strip?a=1&api_key=k1&b=2", ct);
        var kept = await proxy.Client.GetAsync("/keep?api_key=k1", ct);
        var headerIgnored = await AuthFiles.GetWithKeyAsync(proxy.Client, "/strip", "k1");

        Assert.Equal(HttpStatusCode.OK, stripped.StatusCode);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, headerIgnored.StatusCode);
        Assert.Equal("ApiKey query=\"api_key\"", headerIgnored.Headers.WwwAuthenticate.Single().ToString());
        Assert.Equal(["/strip?a=1&b=2", "/keep?api_key=k1"], backend.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task The_key_file_is_reloaded_when_it_changes_and_a_broken_one_keeps_the_last_good_keys()
    {
        await using var backend = await TestBackend.StartAsync("app");
        var folder = AuthFiles.NewFolder();
        var keyFile = Path.Combine(folder, "keys.yaml");
        await AuthFiles.WriteAsync(keyFile, AuthFiles.KeyFile(("old", "old-key", [])));
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api: { match: { pathPrefix: / }, cluster: app, auth: { apiKey: { keyFile: {{keyFile}} } } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;
        async Task<HttpStatusCode> With(string key) => (await AuthFiles.GetWithKeyAsync(proxy.Client, "/", key)).StatusCode;

        Assert.Equal(HttpStatusCode.OK, await With("old-key"));
        Assert.Equal(HttpStatusCode.Unauthorized, await With("new-key"));

        await AuthFiles.WriteAsync(keyFile, AuthFiles.KeyFile(("new", "new-key", [])));
        await Poll.UntilAsync(async () => await With("new-key") == HttpStatusCode.OK, "the new key file to be loaded");
        Assert.Equal(HttpStatusCode.Unauthorized, await With("old-key"));

        await AuthFiles.WriteAsync(keyFile, "keys:\n  - { name: broken, sha256: nothex }\n");
        await Poll.UntilAsync(() => proxy.Logs.Messages(3305).Any(), "the broken key file to be refused");
        Assert.Equal(
            $"credentials file {keyFile} changed but cannot be used, the last good content stays in use: line 2: keys[0].sha256: not a SHA-256 in hex (64 hex digits); the key itself never goes in the config",
            proxy.Logs.Messages(3305).Single());
        Assert.Equal(HttpStatusCode.OK, await With("new-key"));
        Directory.Delete(folder, recursive: true);
    }
}
