using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Portico.Redis;

/// <summary>
/// The channels concerns listen on, kept apart from any one connection: when a reload replaces
/// the connection (or changes the key prefix) every channel is subscribed again on the new one.
/// StackExchange.Redis itself subscribes again after a reconnect of the same connection.
/// </summary>
internal sealed class RedisSubscriptions(RedisLog log)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Handler, byte>> _channels = new(StringComparer.Ordinal);
    private RedisLink? _link;

    public IDisposable Add(string channel, Action<string> action, RedisLink? link)
    {
        var handler = new Handler(this, channel, action);
        var handlers = _channels.GetOrAdd(channel, _ => new ConcurrentDictionary<Handler, byte>());
        handlers[handler] = 0;
        if (link is not null && handlers.Count == 1)
        {
            _ = SubscribeAsync(link, channel);
        }

        return handler;
    }

    /// <summary>Moves every channel to <paramref name="link"/> (null: none), leaving the previous one.</summary>
    public void Attach(RedisLink? link)
    {
        var previous = Interlocked.Exchange(ref _link, link);
        if (previous is not null && link is not null && previous.Ready == link.Ready && previous.Settings.KeyPrefix == link.Settings.KeyPrefix)
        {
            return;
        }

        if (previous is not null && previous.Multiplexer is { } old)
        {
            _ = old.GetSubscriber().UnsubscribeAllAsync(CommandFlags.FireAndForget);
        }

        if (link is not null)
        {
            foreach (var channel in _channels.Keys)
            {
                _ = SubscribeAsync(link, channel);
            }
        }
    }

    private async Task SubscribeAsync(RedisLink link, string channel)
    {
        var multiplexer = await link.Ready;
        var name = RedisChannel.Literal(link.Settings.KeyPrefix + channel);
        try
        {
            await multiplexer.GetSubscriber().SubscribeAsync(name, (_, message) => Deliver(channel, message.ToString()));
        }
        catch (RedisException)
        {
            // Not connected now: the multiplexer keeps the subscription and sends it when it connects.
        }
    }

    private void Deliver(string channel, string message)
    {
        foreach (var handler in _channels.GetValueOrDefault(channel)?.Keys ?? Enumerable.Empty<Handler>())
        {
            try
            {
                handler.Action(message);
            }
            catch (Exception e)
            {
                log.HandlerFailed(channel, e.Message);
            }
        }
    }

    private sealed class Handler(RedisSubscriptions owner, string channel, Action<string> action) : IDisposable
    {
        public Action<string> Action => action;

        public void Dispose() => owner._channels.GetValueOrDefault(channel)?.TryRemove(this, out _);
    }
}
