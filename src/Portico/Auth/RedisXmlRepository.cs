using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Portico.Redis;
using StackExchange.Redis;

namespace Portico.Auth;

/// <summary>
/// The session key ring kept in Redis, one list element per key (XML), so every instance
/// sharing the server decrypts the cookies any of them issued. Data protection reads the ring
/// at its first use and again about daily, and writes a key when it makes one. Redis away
/// never fails a request here: a read gives the keys last read, and a key made meanwhile is
/// kept in memory and written once Redis answers again (tried every second; until then other
/// instances cannot read the sessions it encrypts). A config is built before the serving host
/// exists, so the host's connection is attached when the config serves (AuthFileWatcher);
/// before that the ring is only what was last read.
/// </summary>
internal sealed class RedisXmlRepository(TimeProvider time) : IXmlRepository
{
    private const string ListKey = "dataprotection-keys";

    private readonly Lock _lock = new();
    private readonly List<string> _unsaved = [];
    private IReadOnlyCollection<XElement> _lastRead = [];
    private ITimer? _retry;
    private RedisConnection? _redis;

    /// <summary>Reads and writes through the serving host's connection from now on.</summary>
    public void Attach(RedisConnection redis) => Volatile.Write(ref _redis, redis);

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        Flush();
        var redis = Volatile.Read(ref _redis);
        // Parsed inside the command: a list element that is not XML fails the read (the keys last
        // read serve) rather than the request that needed the ring.
        var answer = redis?.Run<IReadOnlyCollection<XElement>>("dataprotection", db => [.. db.ListRange(redis.Key(ListKey)).Select(v => XElement.Parse(v.ToString()))]) ?? default;
        lock (_lock)
        {
            if (answer is { Ok: true, Value: { } read })
            {
                _lastRead = read;
            }

            return [.. _lastRead, .. _unsaved.Select(XElement.Parse)];
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_lock)
        {
            _unsaved.Add(element.ToString(SaveOptions.DisableFormatting));
        }

        Flush();
    }

    private void Flush()
    {
        string[] pending;
        lock (_lock)
        {
            pending = [.. _unsaved];
        }

        var redis = Volatile.Read(ref _redis);
        foreach (var xml in pending)
        {
            if (redis is null || !redis.Run("dataprotection", db => db.ListRightPush(redis.Key(ListKey), xml)).Ok)
            {
                lock (_lock)
                {
                    _retry ??= time.CreateTimer(_ => Flush(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
                }

                return;
            }

            lock (_lock)
            {
                _unsaved.Remove(xml);
            }
        }

        lock (_lock)
        {
            if (_unsaved.Count == 0)
            {
                _retry?.Dispose();
                _retry = null;
            }
        }
    }
}
