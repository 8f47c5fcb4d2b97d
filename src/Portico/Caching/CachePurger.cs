using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Portico.Configuration;
using Portico.Redis;

namespace Portico.Caching;

/// <summary>
/// Purges that reach every instance. With the shared tier on, a purge on the admin API runs on
/// this instance's tiers and on Redis, then goes out on `PREFIX cache:purge`; every other
/// instance runs it on its own tiers (memory, disk: Redis is done) and acknowledges on
/// `PREFIX cache:purge-ack` with its name and count. The answer lists each live instance (the
/// heartbeat set) and whether it confirmed within `cache.shared.purgeWait`. Pub/sub delivers to
/// those subscribed at that moment: an instance cut off from Redis then misses the purge, which
/// is why the answer names it unconfirmed rather than assuming it. An unsafe request's
/// invalidation (RFC 9111 §4.4) goes out the same way, unconfirmed, so no instance keeps serving
/// what a POST, PUT or DELETE on another made out of date.
/// </summary>
internal sealed class CachePurger(ICacheStore store, SharedCacheTier shared, RedisConnection redis, ActiveConfig config, SharedCacheLog log, TimeProvider time) : IHostedService
{
    private const string Channel = "cache:purge";
    private const string AckChannel = "cache:purge-ack";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<string, PurgeConfirmations> _waiting = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _subscriptions = [];

    /// <summary>
    /// Runs <paramref name="purge"/> here and, with the shared tier on, on every instance: the
    /// count here (Redis included), and each instance's part (null without a shared tier).
    /// </summary>
    public async Task<(int Purged, IReadOnlyList<InstancePurge>? Instances)> PurgeAsync(CachePurge purge, CancellationToken ct)
    {
        var purged = await purge.RunAsync(store, config, ct);
        if (!shared.On)
        {
            return (purged, null);
        }

        var self = new InstancePurge(redis.InstanceId, Self: true, Confirmed: true, purged);
        var id = Guid.NewGuid().ToString("N");
        var confirmations = new PurgeConfirmations();
        _waiting[id] = confirmations;
        try
        {
            var live = await redis.LiveInstancesAsync();
            var message = new PurgeMessage(id, redis.InstanceId, purge.What, purge.Target, [.. purge.Tags], purge.StaleFrom?.UtcTicks);
            if (live is null || await redis.PublishAsync(Channel, JsonSerializer.Serialize(message, Json)) is null)
            {
                log.PurgeNotBroadcast(id, purge.What, purge.Target);
                return (purged, [self]);
            }

            var others = live.Where(i => i != redis.InstanceId).ToArray();
            await confirmations.WaitAsync(others, config.Current.Settings.Cache.Shared.PurgeWait, time, ct);
            var acks = confirmations.Acks;
            var missing = others.Where(i => !acks.ContainsKey(i)).ToArray();
            if (missing.Length > 0)
            {
                log.PurgeUnconfirmed(id, purge.What, purge.Target, config.Current.Settings.Cache.Shared.PurgeWait.TotalSeconds, missing.Length, others.Length + 1, string.Join(", ", missing));
            }

            // Every live instance, and any that answered without being counted live yet (just started).
            var answered = others.Union(acks.Keys).Order(StringComparer.Ordinal)
                .Select(i => acks.TryGetValue(i, out var n) ? new InstancePurge(i, false, true, n) : new InstancePurge(i, false, false, null));
            return (purged, [self, .. answered]);
        }
        finally
        {
            _waiting.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Tells the other instances that an unsafe request on <paramref name="route"/> invalidated
    /// <paramref name="key"/> (already removed here and from Redis). Not awaited by the request:
    /// the message goes after it, and nobody waits for acknowledgements.
    /// </summary>
    public void Invalidated(string key, string route)
    {
        if (shared.On)
        {
            var message = new PurgeMessage(Guid.NewGuid().ToString("N"), redis.InstanceId, "invalidate", key, [], null, route);
            _ = Task.Run(async () => await redis.PublishAsync(Channel, JsonSerializer.Serialize(message, Json)));
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscriptions.Add(redis.Subscribe(Channel, message => _ = ReceivedAsync(message)));
        _subscriptions.Add(redis.Subscribe(AckChannel, Acknowledged));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        _subscriptions.Clear();
        return Task.CompletedTask;
    }

    // Another instance's purge: run on this instance's own tiers, then acknowledged.
    private async Task ReceivedAsync(string text)
    {
        try
        {
            if (JsonSerializer.Deserialize<PurgeMessage>(text, Json) is not { } message || message.From == redis.InstanceId || !shared.On)
            {
                return;
            }

            var staleFrom = message.StaleFrom is { } ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : (DateTimeOffset?)null;
            var purge = new CachePurge(message.What, message.Target, message.Tags, staleFrom, message.Route);
            var local = store is TieredCacheStore tiered ? tiered.Local : store;
            var purged = await purge.RunAsync(local, config, CancellationToken.None);
            log.PurgeReceived(message.Id, message.What, message.Target, message.From, purged);
            if (purge.What == "invalidate")
            {
                return;
            }

            await redis.PublishAsync(AckChannel, JsonSerializer.Serialize(new PurgeAck(message.Id, redis.InstanceId, purged), Json));
        }
        catch (JsonException e)
        {
            log.PurgeMessageUnreadable(e.Message);
        }
    }

    private void Acknowledged(string text)
    {
        try
        {
            if (JsonSerializer.Deserialize<PurgeAck>(text, Json) is { } ack && _waiting.TryGetValue(ack.Id, out var confirmations))
            {
                confirmations.Add(ack);
            }
        }
        catch (JsonException e)
        {
            log.PurgeMessageUnreadable(e.Message);
        }
    }
}
