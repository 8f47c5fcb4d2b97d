using System.Net;
using Portico.IntegrationTests.Auth;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.Redis;

namespace Portico.IntegrationTests.Redis;

/// <summary>
/// With a `redis` section and no `auth.dataProtection.keysDir`, the key ring that encrypts OIDC
/// session cookies lives in Redis: a session instance A issued is accepted by instance B, and
/// still after Redis went away (each instance keeps the ring it read).
/// </summary>
public sealed class SharedSessionKeysTests
{
    [Fact]
    public async Task A_session_cookie_issued_by_one_instance_is_accepted_by_the_other_also_while_redis_is_down()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var provider = await OpenIdProvider.StartAsync(TimeSpan.FromHours(1));
        await using var backend = await TestBackend.StartAsync("app");
        var keys = Directory.CreateTempSubdirectory("portico-unused-keys-");
        var config = OidcTests.Config(keys, provider, backend).Replace($"auth:\n  dataProtection: {{ keysDir: \"{keys.FullName}\" }}\n", "", StringComparison.Ordinal);
        keys.Delete();
        Assert.DoesNotContain("dataProtection", config, StringComparison.Ordinal);
        await using var proxies = await SharedProxies.StartAsync(redis, config);
        await Poll.UntilAsync(() => proxies.Both.All(p => p.Services.GetRequiredService<RedisConnection>().Available), "both instances connected");

        using var browser = new OidcBrowser();
        await browser.LoginAsync(new Uri(proxies.A.Address, "/app/x"), provider);
        var session = browser.Session(proxies.A.Address);
        Assert.Equal(":1", await redis.CommandAsync("LLEN", "portico:dataprotection-keys"));

        using var onB = new OidcBrowser();
        onB.Use(proxies.B.Address, session);
        var accepted = await onB.GetAsync(new Uri(proxies.B.Address, "/app/on-b"), accept: "application/json");
        Assert.True(accepted.StatusCode == HttpStatusCode.OK, string.Join("\n", proxies.B.Logs.Lines.Select(l => $"{l.EventId} {l.Message} {l.Exception}")));
        Assert.Equal("alice", backend.Requests.Single(r => r.PathAndQuery == "/app/on-b").Headers["X-Auth-User"]);

        await redis.KillAsync();
        var withoutRedis = await onB.GetAsync(new Uri(proxies.B.Address, "/app/redis-down"), accept: "application/json");
        Assert.Equal(HttpStatusCode.OK, withoutRedis.StatusCode);
        Assert.Equal("alice", backend.Requests.Single(r => r.PathAndQuery == "/app/redis-down").Headers["X-Auth-User"]);
    }
}
