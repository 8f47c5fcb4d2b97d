using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>Basic authentication against an htpasswd file of bcrypt hashes.</summary>
public sealed class BasicAuthTests
{
    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [Fact]
    public async Task A_good_password_passes_as_the_user_and_wrong_ones_get_401_with_the_realm()
    {
        await using var backend = await TestBackend.StartAsync("app");
        var htpasswd = await AuthFiles.HtpasswdAsync(("alice", "correct horse"), ("bob", "pässwörd:with colon"));
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              staff: { match: { pathPrefix: / }, cluster: app, auth: { basic: { realm: Staff area, htpasswd: {{htpasswd}} } } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;
        async Task<HttpResponseMessage> As(AuthenticationHeaderValue? credentials)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Authorization = credentials;
            return await proxy.Client.SendAsync(request, ct);
        }

        var alice = await As(Basic("alice", "correct horse"));
        var bob = await As(Basic("bob", "pässwörd:with colon"));
        var refused = new[]
        {
            await As(Basic("alice", "wrong")),
            await As(Basic("mallory", "correct horse")),
            await As(new AuthenticationHeaderValue("Basic", "not base64!")),
            await As(new AuthenticationHeaderValue("Basic", Convert.ToBase64String("no-colon"u8.ToArray()))),
            await As(null),
            await As(new AuthenticationHeaderValue("Bearer", "abc")),
        };

        Assert.Equal(HttpStatusCode.OK, alice.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
        Assert.Equal(["alice", "bob"], backend.Requests.Select(r => r.Headers["X-Auth-User"]));
        Assert.All(backend.Requests, r => Assert.False(r.Headers.ContainsKey("Authorization")));
        Assert.All(backend.Requests, r => Assert.Equal("basic", r.Headers["X-Auth-Scheme"]));
        Assert.All(refused, r =>
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("Basic realm=\"Staff area\", charset=\"UTF-8\"", r.Headers.WwwAuthenticate.Single().ToString());
        });
        Assert.Equal(2, backend.Count);
        Assert.DoesNotContain(proxy.Logs.Lines, l => l.Message.Contains("correct horse") || l.Message.Contains("mallory"));
        Directory.Delete(Path.GetDirectoryName(htpasswd)!, recursive: true);
    }

    [Fact]
    public async Task The_htpasswd_file_is_reloaded_when_it_changes()
    {
        await using var backend = await TestBackend.StartAsync("app");
        var htpasswd = await AuthFiles.HtpasswdAsync(("alice", "one"));
        await using var proxy = await TestProxy.StartAsync($$"""
            routes:
              staff: { match: { pathPrefix: / }, cluster: app, auth: { basic: { htpasswd: {{htpasswd}} }, failedAttempts: off } }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        var ct = TestContext.Current.CancellationToken;
        async Task<HttpStatusCode> As(string user, string password)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Authorization = Basic(user, password);
            return (await proxy.Client.SendAsync(request, ct)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await As("alice", "one"));

        await AuthFiles.WriteAsync(htpasswd, AuthFiles.HtpasswdLine("alice", "two") + "\n");
        await Poll.UntilAsync(async () => await As("alice", "two") == HttpStatusCode.OK, "the new htpasswd file to be loaded");
        Assert.Equal(HttpStatusCode.Unauthorized, await As("alice", "one"));
        await Poll.UntilAsync(() => proxy.Logs.Messages(3304).Any(m => m.Contains(htpasswd)), "the reload to be logged");
        Directory.Delete(Path.GetDirectoryName(htpasswd)!, recursive: true);
    }
}
