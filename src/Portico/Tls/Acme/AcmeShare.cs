using Portico.Redis;
using StackExchange.Redis;

namespace Portico.Tls.Acme;

/// <summary>
/// What ACME keeps in Redis when a `redis` section exists, so several instances behind one L4
/// front act as one: the account key (`acme:account`), each host's certificate and key
/// (`acme:cert:HOST`, announced on the `acme:issued` channel), the order lock
/// (`acme:lock:HOST`: SET NX PX with a token, renewed by compare-and-expire, released by
/// compare-and-delete, so only its holder touches it and a crashed holder's lock runs out) and
/// the challenges being validated (`acme:http-01:TOKEN`, `acme:tls-alpn-01:HOST`), since the
/// CA's validation request may reach any instance. Every call is bounded by the connection's
/// timeout and breaker; a failure is an answer (<see cref="RedisAnswer{T}.Ok"/> false), never an exception.
/// </summary>
internal sealed class AcmeShare(RedisConnection redis)
{
    public const string IssuedChannel = "acme:issued";

    // Only the holder (the same token) may extend or delete the lock.
    private const string RenewScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
    private const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    // A challenge outlives no order: the ACME client polls an authorization for two minutes at most.
    private static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Whether a `redis` section is serving (whether or not Redis answers now).</summary>
    public bool Enabled => redis.Configured;

    /// <summary>This instance's name, as the lock's holder shows it.</summary>
    public string Instance => redis.InstanceId;

    /// <summary>Waits for the connection's first attempt (the connection is made in the background), so start-up does not mistake "not yet connected" for an outage.</summary>
    public Task ReadyAsync(CancellationToken cancel) => redis.ReadyAsync(cancel);

    public IDisposable OnIssued(Action<string> host) => redis.Subscribe(IssuedChannel, host);

    /// <summary>The shared certificate of <paramref name="host"/>: Ok with null when there is none.</summary>
    public async ValueTask<RedisAnswer<SharedCertificate?>> CertificateAsync(string host)
    {
        var answer = await redis.RunAsync("acme", async db => (string?)await db.StringGetAsync(redis.Key("acme:cert:" + host)));
        return !answer.Ok ? default : new RedisAnswer<SharedCertificate?>(true, answer.Value is { } json ? SharedCertificate.Parse(json) : null);
    }

    /// <summary>Stores <paramref name="certificate"/> for every instance and tells them; <paramref name="onlyIfNone"/> keeps one already there.</summary>
    public async ValueTask<bool> PublishAsync(string host, SharedCertificate certificate, bool onlyIfNone)
    {
        var stored = await redis.RunAsync("acme", db => db.StringSetAsync(redis.Key("acme:cert:" + host), certificate.Json(), when: onlyIfNone ? When.NotExists : When.Always));
        if (stored is { Ok: true, Value: true })
        {
            await redis.PublishAsync(IssuedChannel, host);
        }

        return stored.Ok;
    }

    /// <summary>The account key every instance uses: the stored one, else <paramref name="localPem"/> stored first (SET NX, so two instances starting together agree); null when Redis does not answer.</summary>
    public async ValueTask<string?> AccountAsync(string localPem)
    {
        var answer = await redis.RunAsync("acme", async db =>
        {
            var key = redis.Key("acme:account");
            await db.StringSetAsync(key, localPem, when: When.NotExists);
            return (string?)await db.StringGetAsync(key);
        });
        return answer.Ok ? answer.Value : null;
    }

    /// <summary>The shared account key, if one is stored and Redis answers.</summary>
    public async ValueTask<string?> StoredAccountAsync()
    {
        var answer = await redis.RunAsync("acme", async db => (string?)await db.StringGetAsync(redis.Key("acme:account")));
        return answer.Ok ? answer.Value : null;
    }

    /// <summary>Tries to take the order lock of <paramref name="host"/> for <paramref name="ttl"/>.</summary>
    public async ValueTask<LockAttempt> TryLockAsync(string host, TimeSpan ttl)
    {
        var key = redis.Key("acme:lock:" + host);
        var token = $"{Instance} {Guid.NewGuid():N}";
        var answer = await redis.RunAsync("acme", async db =>
            await db.StringSetAsync(key, token, ttl, When.NotExists) ? null : (string?)await db.StringGetAsync(key));
        return !answer.Ok ? new LockAttempt(null, null, false)
            : answer.Value is null ? new LockAttempt(token, Instance, true)
            : new LockAttempt(null, LockAttempt.HolderOf(answer.Value), true);
    }

    /// <summary>Extends the lock while its holder still owns it; false when it does not any more (or Redis did not answer).</summary>
    public async ValueTask<bool> RenewAsync(string host, string token, TimeSpan ttl)
    {
        var answer = await redis.RunAsync("acme", async db => (long)await db.ScriptEvaluateAsync(RenewScript, [redis.Key("acme:lock:" + host)], [token, (long)ttl.TotalMilliseconds]));
        return answer is { Ok: true, Value: 1 };
    }

    public async ValueTask ReleaseAsync(string host, string token)
        => await redis.RunAsync("acme", async db => (long)await db.ScriptEvaluateAsync(ReleaseScript, [redis.Key("acme:lock:" + host)], [token]));

    /// <summary>Offers a challenge's key authorization to every instance; false when Redis did not take it.</summary>
    public async ValueTask<bool> AddChallengeAsync(string type, string id, string keyAuthorization)
    {
        var answer = await redis.RunAsync("acme", db => db.StringSetAsync(ChallengeKey(type, id), keyAuthorization, ChallengeLifetime));
        return answer.Ok;
    }

    public async ValueTask RemoveChallengeAsync(string type, string id)
        => await redis.RunAsync("acme", db => db.KeyDeleteAsync(ChallengeKey(type, id)));

    /// <summary>A challenge another instance is having validated; null when none (or Redis is away).</summary>
    public async ValueTask<string?> ChallengeAsync(string type, string id)
    {
        if (!redis.Configured)
        {
            return null;
        }

        var answer = await redis.RunAsync("acme", async db => (string?)await db.StringGetAsync(ChallengeKey(type, id)));
        return answer.Ok ? answer.Value : null;
    }

    private RedisKey ChallengeKey(string type, string id) => redis.Key($"acme:{type}:{id}");

    /// <summary>A lock attempt: <see cref="Token"/> when taken; else who holds it (null with <see cref="Answered"/> false: Redis did not answer).</summary>
    internal readonly record struct LockAttempt(string? Token, string? Holder, bool Answered)
    {
        public static string HolderOf(string token) => token.Split(' ')[0];
    }
}
