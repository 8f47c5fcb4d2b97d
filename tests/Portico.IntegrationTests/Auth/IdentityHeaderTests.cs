using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>No client can send an identity header a backend would believe: copies are removed on every route, protected or not.</summary>
public sealed class IdentityHeaderTests
{
    [Fact]
    public async Task Spoofed_identity_headers_are_removed_on_every_route_and_on_the_fast_path()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              api:
                match: { pathPrefix: /api }
                cluster: app
                auth:
                  apiKey: { keys: [{ name: real, sha256: {{AuthFiles.Sha256("k")}}, scopes: [read] }] }
                  identityHeaders: { user: X-Remote-User, claims: { X-Remote-Scopes: scope, X-Remote-Email: email } }
              open: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;
        using var counters = new ProxyCounters(proxy, "portico.fastpath.");
        HttpRequestMessage Spoofed(string path, string? key)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("x-remote-user", "admin");
            request.Headers.Add("X-Auth-Scheme", "basic");
            request.Headers.Add("X-Remote-Email", "boss@example.com");
            request.Headers.Add("X-Remote-Scopes", "everything");
            if (key is not null)
            {
                request.Headers.Add("X-Api-Key", key);
            }

            return request;
        }

        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.SendAsync(Spoofed("/open", null), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.SendAsync(Spoofed("/api", "k"), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.GetAsync("/plain", ct)).StatusCode);

        var (open, api, plain) = (backend.Requests.ElementAt(0), backend.Requests.ElementAt(1), backend.Requests.ElementAt(2));
        foreach (var name in new[] { "X-Remote-User", "X-Auth-Scheme", "X-Remote-Email", "X-Remote-Scopes" })
        {
            Assert.False(open.Headers.ContainsKey(name), name);
        }

        Assert.Equal("real", api.Headers["X-Remote-User"]);
        Assert.Equal("apiKey", api.Headers["X-Auth-Scheme"]);
        Assert.Equal("read", api.Headers["X-Remote-Scopes"]);
        Assert.False(api.Headers.ContainsKey("X-Remote-Email"));
        Assert.False(plain.Headers.ContainsKey("X-Remote-User"));
        if (Environment.GetEnvironmentVariable("PORTICO_FASTPATH") != "off")
        {
            // The open route runs on the fast path, which hands the spoofed request over.
            Assert.Equal(1, counters.Value("portico.fastpath.handovers", ("reason", "identity_headers")));
        }
    }

    [Fact]
    public async Task Authorization_is_forwarded_only_where_the_route_says_so()
    {
        await using var backend = await TestBackend.StartAsync("app");
        var htpasswd = await AuthFiles.HtpasswdAsync(("alice", "pw"));
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              strip: { match: { pathPrefix: /strip }, cluster: app, auth: { basic: { htpasswd: {{htpasswd}} } } }
              keep: { match: { pathPrefix: /keep }, cluster: app, auth: { basic: { htpasswd: {{htpasswd}} }, forwardCredentials: true } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;
        var credentials = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("alice:pw"u8.ToArray()));

        foreach (var path in new[] { "/strip", "/keep" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = credentials;
            Assert.Equal(HttpStatusCode.OK, (await proxy.Client.SendAsync(request, ct)).StatusCode);
        }

        Assert.False(backend.Requests.ElementAt(0).Headers.ContainsKey("Authorization"));
        Assert.Equal(credentials.ToString(), backend.Requests.ElementAt(1).Headers["Authorization"]);
        Directory.Delete(Path.GetDirectoryName(htpasswd)!, recursive: true);
    }
}
