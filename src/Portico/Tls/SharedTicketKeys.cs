using Microsoft.Extensions.Hosting;
using Portico.Redis;
using StackExchange.Redis;

namespace Portico.Tls;

/// <summary>
/// With a `redis` section, the session ticket keys (<see cref="SessionTicketKeys"/>) are one ring
/// for every instance, so a client resumes its TLS session on whichever instance the balancer
/// sends it to. The ring is a list in Redis (`tls:ticket-keys`, newest first, each entry the
/// instant it was made by the Redis server's clock and the key); every instance reads it every
/// <see cref="Every"/>, and the read adds a new key when the newest is a rotation old (a Lua
/// script, so two instances never both add one). A new key decrypts at once and encrypts only
/// once it is <see cref="Every"/> old, by which time every instance has read it. While Redis does
/// not answer, an instance keeps the ring it read and, past a rotation, rotates on its own (its
/// tickets then resume on it alone until Redis answers again).
/// </summary>
internal sealed class SharedTicketKeys(RedisConnection redis, SessionTicketKeys keys, TimeProvider time, TlsSessionLog log) : BackgroundService
{
    /// <summary>How often each instance reads the ring, and how old a key must be before it encrypts.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(30);

    // The newest key is a rotation old: add one. Times are the Redis server's, so the instances'
    // clocks need not agree. Answers the server's time and the ring.
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local newest = redis.call('LINDEX', KEYS[1], 0)
        if (not newest) or tonumber(string.match(newest, '^(%d+):')) <= now - tonumber(ARGV[1]) then
          redis.call('LPUSH', KEYS[1], now .. ':' .. ARGV[2])
          redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
        end
        local ring = redis.call('LRANGE', KEYS[1], 0, -1)
        table.insert(ring, 1, tostring(now))
        return ring
        """;

    private int _failing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!redis.Configured)
        {
            return;
        }

        try
        {
            await redis.ReadyAsync(stoppingToken);
            using var every = new PeriodicTimer(Every, time);
            do
            {
                await SyncAsync();
            }
            while (await every.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Reads the ring (adding a key when one is due) and hands it to the keys; false when Redis did not answer.</summary>
    internal async Task<bool> SyncAsync()
    {
        // The current one, the two before it (SessionTicketKeys.Kept) and one not yet encrypting.
        var kept = SessionTicketKeys.Kept + 1;
        var fresh = Convert.ToBase64String(SessionTicketKeys.NewKey());
        var answer = await redis.RunAsync("tls", async db => (string[]?)await db.ScriptEvaluateAsync(Script, [redis.Key("tls:ticket-keys")],
            [(long)SessionTicketKeys.Rotation.TotalMilliseconds, fresh, kept]));
        if (answer is not { Ok: true, Value: [var clock, .. var entries] } || Parse(entries) is not { Count: > 0 } ring)
        {
            if (Interlocked.Exchange(ref _failing, 1) == 0)
            {
                log.TicketKeysNotShared();
            }

            // Never past a rotation on one key: this instance's own, until Redis answers again.
            if (time.GetUtcNow() - keys.EncryptingSince >= SessionTicketKeys.Rotation)
            {
                keys.Rotate();
            }

            return false;
        }

        if (Interlocked.Exchange(ref _failing, 0) == 1)
        {
            log.TicketKeysShared(ring.Count);
        }

        keys.Share(ring, DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(clock, System.Globalization.CultureInfo.InvariantCulture)), Every);
        return true;
    }

    // Entries "ms:base64"; one that does not read as a key (written by hand, another version) is left out.
    private static List<(DateTimeOffset Made, byte[] Key)> Parse(string[] entries)
    {
        var ring = new List<(DateTimeOffset, byte[])>(entries.Length);
        foreach (var entry in entries)
        {
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            var key = new byte[SessionTicketKeys.KeyLength];
            if (colon > 0 && long.TryParse(entry.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var made)
                && Convert.TryFromBase64String(entry[(colon + 1)..], key, out var written) && written == key.Length)
            {
                ring.Add((DateTimeOffset.FromUnixTimeMilliseconds(made), key));
            }
        }

        return ring;
    }
}
