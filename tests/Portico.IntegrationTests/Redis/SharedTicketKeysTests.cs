using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.Tls;
using Portico.Tls;

namespace Portico.IntegrationTests.Redis;

/// <summary>
/// With a `redis` section, the TLS session ticket keys are one ring for every instance (a list in
/// Redis): a session made on instance A resumes on instance B, a key added to the ring decrypts on
/// both at once and encrypts on both once it is old enough for every instance to have read it,
/// and while Redis is away each instance keeps the ring it read.
/// </summary>
public sealed class SharedTicketKeysTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task A_session_made_on_one_instance_resumes_on_the_other_and_the_ring_moves_on_both(string protocol)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("b");
        var pem = _pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app");
        await using var proxies = await SharedProxies.StartAsync(redis, TlsListenerTests.Config(backend.Url, $"      certificates: [{{ cert: {pem.Cert}, key: {pem.Key} }}]"));
        var (a, b) = (Keys(proxies.A), Keys(proxies.B));
        Assert.True(await Share(proxies.A).SyncAsync());
        Assert.True(await Share(proxies.B).SyncAsync());
        Assert.Equal(":1", await redis.CommandAsync("LLEN", "portico:tls:ticket-keys"));
        Assert.Equal(a.KeyNames, b.KeyNames);

        var session = Session();
        var first = await OpenSslClient.GetAsync(TlsListenerTests.HttpsPort(proxies.A), "app.test", protocol, "-sess_out", session);
        Assert.False(first.Resumed, first.Summary);
        Assert.Equal(a.KeyNames[0], await OpenSslClient.TicketKeyNameAsync(session));
        var onB = await OpenSslClient.GetAsync(TlsListenerTests.HttpsPort(proxies.B), "app.test", protocol, "-sess_in", session);
        Assert.True(onB.Resumed, onB.Output);
        Assert.True(onB.Answered, onB.Output);

        // A key made a minute ago (by another instance, say) encrypts on both after their next
        // read; one made just now only decrypts: some instance may not have read it yet.
        var now = DateTimeOffset.UtcNow;
        var (older, newer) = (SessionTicketKeys.NewKey(), SessionTicketKeys.NewKey());
        await redis.CommandAsync("LPUSH", "portico:tls:ticket-keys", Entry(now.AddMinutes(-1), older));
        await redis.CommandAsync("LPUSH", "portico:tls:ticket-keys", Entry(now, newer));
        Assert.True(await Share(proxies.A).SyncAsync());
        Assert.True(await Share(proxies.B).SyncAsync());
        foreach (var keys in new[] { a, b })
        {
            Assert.Equal(Name(older), keys.KeyNames[0]);
            Assert.Contains(Name(newer), keys.KeyNames);
            Assert.Equal(3, keys.KeyNames.Count);
        }

        var second = Session();
        Assert.False((await OpenSslClient.GetAsync(TlsListenerTests.HttpsPort(proxies.B), "app.test", protocol, "-sess_out", second)).Resumed);
        Assert.Equal(Name(older), await OpenSslClient.TicketKeyNameAsync(second));

        // Redis away: each instance keeps the ring it read, and sessions still resume across them.
        await redis.KillAsync();
        Assert.False(await Share(proxies.A).SyncAsync());
        Assert.Equal(b.KeyNames, a.KeyNames);
        var whileAway = await OpenSslClient.GetAsync(TlsListenerTests.HttpsPort(proxies.A), "app.test", protocol, "-sess_in", second);
        Assert.True(whileAway.Resumed, whileAway.Output);
        Assert.Contains(proxies.A.Logs.Lines, l => l.EventId == 4205);
    }

    private static SessionTicketKeys Keys(TestProxy proxy) => proxy.Services.GetRequiredService<SessionTicketKeys>();

    private static SharedTicketKeys Share(TestProxy proxy) => proxy.Services.GetRequiredService<SharedTicketKeys>();

    private static string Entry(DateTimeOffset made, byte[] key) => $"{made.ToUnixTimeMilliseconds()}:{Convert.ToBase64String(key)}";

    private static string Name(byte[] key) => Convert.ToHexString(key, 0, 16);

    private string Session() => Path.Combine(_pki.Folder, $"session-{Guid.NewGuid():N}.pem");
}
