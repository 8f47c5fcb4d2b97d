using System.Net;
using Microsoft.Extensions.DependencyInjection;
using System.Net.Sockets;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Tls.Acme;

/// <summary>
/// ACME with several instances sharing a real Redis, against Debian's pebble: one instance
/// orders while holding the lock, the others load what it shares. Pebble validates on fixed
/// ports, which only one instance can listen on, so which instance answers the CA is set by
/// the test, as an L4 front would choose it.
/// </summary>
public sealed class AcmeSharedTests : IDisposable
{
    private const string Host = "acme.portico.test";
    private const string LockKey = "portico:acme:lock:" + Host;
    private readonly List<string> _folders = [];

    public void Dispose()
    {
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private string Folder()
    {
        var folder = Directory.CreateTempSubdirectory("portico-acme-").FullName;
        _folders.Add(folder);
        return folder;
    }

    private static string Config(RedisServer redis, Uri directory, string ca, string storage, int httpPort, int httpsPort, string challenge, string lockTtl, string backendUrl) => $$"""
        listeners:
          plain: { address: "127.0.0.1:{{httpPort}}", redirectToHttps: {{httpsPort}} }
          secure: { address: "127.0.0.1:{{httpsPort}}", tls: { acme: [{{Host}}] } }
        acme: { directory: "{{directory}}", storage: "{{storage}}", ca: "{{ca}}", challenge: {{challenge}}, retryBackoff: 1s, maxRetryBackoff: 5s, lockTtl: {{lockTtl}} }
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backendUrl}}] }
        {{SharedProxies.Section(redis)}}
        """;

    [Theory]
    [InlineData("http-01")]
    [InlineData("tls-alpn-01")]
    public async Task One_instance_orders_under_the_lock_the_other_answers_the_validation_from_Redis_and_loads_the_certificate(string challenge)
    {
        // A listens where pebble validates; B orders. A crashed holder's lock is there first;
        // once both wait on it, it is made to run out in a second. A looks for the lock only
        // every 20 s (a third of its lockTtl), B every second: B takes it.
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("b");
        Assert.Equal("+OK", await redis.CommandAsync("SET", LockKey, "crashed-instance 0", "PX", "120000"));
        var (storageA, storageB) = (Folder(), Folder());
        var (pebble, a, b, httpsA, httpsB) = await FreePorts.RetryAsync(async () =>
        {
            var (httpA, tlsA, tlsB) = (FreePorts.Take(), FreePorts.Take(), FreePorts.Take());
            var started = await PebbleServer.StartAsync(httpA, tlsA);
            TestProxy? first = null;
            try
            {
                first = await TestProxy.StartAsync(Config(redis, started.Directory, started.ListenerCaPath, storageA, httpA, tlsA, challenge, "60s", backend.Url));
                var second = await TestProxy.StartAsync(Config(redis, started.Directory, started.ListenerCaPath, storageB, FreePorts.Take(), tlsB, challenge, "3s", backend.Url));
                return (started, first, second, tlsA, tlsB);
            }
            catch
            {
                if (first is not null)
                {
                    await first.DisposeAsync();
                }

                await started.DisposeAsync();
                throw;
            }
        });
        await using var pebbleScope = pebble;
        await using var aScope = a;
        await using var bScope = b;
        var root = await pebble.IssuingRootAsync();

        await Poll.UntilAsync(() => a.Logs.Messages(4109).Any(), "A to wait on the crashed holder's lock", seconds: 30);
        Assert.Equal($"ACME: instance crashed-instance holds the order lock for {Host}; waiting for its certificate through Redis", a.Logs.Messages(4109).First());
        using var admin = new HttpClient();
        Assert.Contains("\"lockHolder\":\"crashed-instance\"", await admin.GetStringAsync(new Uri(a.AdminAddress!, "/api/certificates"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        await Poll.UntilAsync(() => b.Logs.Messages(4109).Any(), "B to wait on the crashed holder's lock", seconds: 30);
        Assert.Equal("+OK", await redis.CommandAsync("SET", LockKey, "crashed-instance 0", "PX", "1000", "XX"));

        await Poll.UntilAsync(() => a.Logs.Messages(4110).Any() || b.Logs.Messages(4102).Count() > 3, "B's certificate to reach A", seconds: 120);
        Assert.True(a.Logs.Messages(4110).Any(), string.Join("\n", b.Logs.Messages(4102).Concat(pebble.Lines.TakeLast(30))));
        Assert.Single(b.Logs.Messages(4101));
        Assert.Equal($"ACME: instance {Instance(b)} took the order lock for {Host}", b.Logs.Messages(4113).Single());
        Assert.Empty(a.Logs.Messages(4113));
        Assert.Empty(a.Logs.Messages(4101));
        Assert.Equal(1, pebble.Orders);

        var servedA = (await TlsClient.HandshakeAsync(httpsA, Host)).Certificate;
        var servedB = (await TlsClient.HandshakeAsync(httpsB, Host)).Certificate;
        Assert.Equal(servedB.SerialNumber, servedA.SerialNumber);
        foreach (var port in new[] { httpsA, httpsB })
        {
            using var client = TlsClient.Http(port, root);
            Assert.Equal("b", await client.GetStringAsync($"https://{Host}:{port}/", TestContext.Current.CancellationToken));
        }

        // The account too, so a renewal by A would use B's account; and the lock was let go.
        Assert.Equal(File.ReadAllText(Path.Combine(storageB, "account.key.pem")), File.ReadAllText(Path.Combine(storageA, "account.key.pem")));
        Assert.Equal("$-1", await redis.CommandAsync("GET", LockKey));
    }

    [Fact]
    public async Task When_the_instance_holding_the_lock_is_killed_its_lock_runs_out_and_another_orders()
    {
        var (http, https) = (FreePorts.Take(), FreePorts.Take());
        await using var redis = await RedisServer.StartAsync();
        await using var pebble = await PebbleServer.StartAsync(http, https);
        await using var backend = await TestBackend.StartAsync("b");
        using var pki = TestPki.Create();

        // The holder's CA accepts connections and never answers, so its order hangs under the lock.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var holderConfig = Path.Combine(Folder(), "portico.yaml");
            File.WriteAllText(holderConfig, Config(redis, new Uri($"https://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/dir"), pki.WriteRoot(), Folder(), FreePorts.Take(), FreePorts.Take(), "http-01", "2s", backend.Url)
                + "\nadmin:\n  address: 127.0.0.1:0\n");
            await using var holder = PorticoProcess.Start("run", "-c", holderConfig);
            var token = "";
            await Poll.UntilAsync(async () =>
            {
                Assert.False(holder.HasExited, holder.Stdout + holder.Stderr);
                token = await redis.CommandAsync("GET", LockKey);
                return token != "$-1";
            }, "the holder to take the lock", seconds: 60);
            var holderId = token.Split(' ')[0];

            await using var other = await TestProxy.StartAsync(Config(redis, pebble.Directory, pebble.ListenerCaPath, Folder(), http, https, "http-01", "2s", backend.Url));
            await Poll.UntilAsync(() => other.Logs.Messages(4109).Any(), "the other instance to wait", seconds: 30);
            Assert.Equal($"ACME: instance {holderId} holds the order lock for {Host}; waiting for its certificate through Redis", other.Logs.Messages(4109).First());
            using var admin = new HttpClient();
            Assert.Contains($"\"lockHolder\":\"{holderId}\"", await admin.GetStringAsync(new Uri(other.AdminAddress!, "/api/certificates"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
            Assert.Empty(other.Logs.Messages(4113));

            holder.Signal("KILL");
            await Poll.UntilAsync(() => other.Logs.Messages(4101).Any() || other.Logs.Messages(4102).Count() > 3, "the other instance's certificate", seconds: 120);
            Assert.True(other.Logs.Messages(4101).Any(), string.Join("\n", other.Logs.Messages(4102).Concat(pebble.Lines.TakeLast(30))));
            Assert.Equal(1, pebble.Orders);
            Assert.Single(other.Logs.Messages(4113));
            using var client = TlsClient.Http(https, await pebble.IssuingRootAsync());
            Assert.Equal("b", await client.GetStringAsync($"https://{Host}:{https}/", TestContext.Current.CancellationToken));
        }
        finally
        {
            silent.Stop();
        }
    }

    private static string Instance(TestProxy proxy) => proxy.Services.GetRequiredService<Portico.Redis.RedisConnection>().InstanceId;
}
