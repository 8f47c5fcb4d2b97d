using System.Collections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Portico.Transport;

/// <summary>
/// A <see cref="LoopConnection"/>'s features: those the connection is itself (it answers for
/// them without storing anything) and the few that Kestrel, TLS and Portico set on it, kept in a
/// short array searched from the start, as Kestrel's own transport keeps its "extra" features.
/// A FeatureCollection sized for a connection held a 23-entry dictionary, about 800 bytes for
/// every open connection (issue 25: memory per idle connection); this holds about 200.
/// </summary>
/// <remarks>
/// A feature set here, even to null, hides the connection's own one of that type, as it would
/// replace it in a FeatureCollection. Not thread-safe, like FeatureCollection: a connection's
/// features are set by whoever runs the connection.
/// </remarks>
internal sealed class ConnectionFeatures(LoopConnection owner) : IFeatureCollection
{
    /// <summary>
    /// Room for what a plain connection gets set on it: the dispatcher's four (heartbeat, close
    /// request, completion, Kestrel's metrics context), the listener's name, and with
    /// `limits.maxConnections` the connection's slot (Security's ConnectionSlots).
    /// </summary>
    public const int PlainCapacity = 8;

    /// <summary>
    /// Room for what a TLS connection gets set on it: a plain one's six, Kestrel's HTTPS
    /// middleware's five (the TLS connection, handshake, application protocol and SslStream
    /// features, the SslStream) and Portico's encrypted input. In an array of
    /// <see cref="PlainCapacity"/> they overflowed it, and it was copied into one of 16: 432
    /// bytes allocated for a TLS connection's features (280 held), where 216 hold them (issue 25).
    /// </summary>
    public const int TlsCapacity = 12;

    private static readonly Type[] Own =
    [
        typeof(IConnectionIdFeature),
        typeof(IConnectionTransportFeature),
        typeof(IConnectionItemsFeature),
        typeof(IMemoryPoolFeature),
        typeof(IConnectionLifetimeFeature),
        typeof(IConnectionEndPointFeature),
        typeof(IConnectionSocketFeature),
        typeof(ILingeringCloseFeature),
        typeof(LoopConnection),
    ];

    private (Type Key, object? Value)[]? _set;
    private int _count;
    private int _revision;

    public bool IsReadOnly => false;

    /// <summary>The entries the array holds before it must grow (0 until the first is set).</summary>
    public int Capacity => _set?.Length ?? 0;

    /// <summary>The entries set, those set to null included.</summary>
    public int Count => _count;

    public int Revision => _revision;

    public object? this[Type key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            var index = IndexOf(key);
            if (index >= 0)
            {
                return _set![index].Value;
            }

            return Array.IndexOf(Own, key) >= 0 ? owner : null;
        }

        set
        {
            ArgumentNullException.ThrowIfNull(key);
            var index = IndexOf(key);
            if (index >= 0)
            {
                _set![index].Value = value;
            }
            else if (value is not null || Array.IndexOf(Own, key) >= 0)
            {
                var set = _set ??= new (Type, object?)[PlainCapacity];
                if (_count == set.Length)
                {
                    Array.Resize(ref _set, set.Length * 2);
                }

                _set[_count++] = (key, value);
            }

            _revision++;
        }
    }

    /// <summary>
    /// Makes room for <paramref name="capacity"/> entries; before the first is set (as the
    /// dispatcher calls it, sized for its listener) the array is made that size at once.
    /// </summary>
    public void Reserve(int capacity)
    {
        if (_set is null)
        {
            _set = new (Type, object?)[capacity];
        }
        else if (_set.Length < capacity)
        {
            Array.Resize(ref _set, capacity);
        }
    }

    public TFeature? Get<TFeature>() => this[typeof(TFeature)] is TFeature feature ? feature : default;

    public void Set<TFeature>(TFeature? instance) => this[typeof(TFeature)] = instance;

    public IEnumerator<KeyValuePair<Type, object>> GetEnumerator()
    {
        foreach (var type in Own)
        {
            if (IndexOf(type) < 0)
            {
                yield return new KeyValuePair<Type, object>(type, owner);
            }
        }

        for (var i = 0; i < _count; i++)
        {
            if (_set![i].Value is { } value)
            {
                yield return new KeyValuePair<Type, object>(_set[i].Key, value);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(Type key)
    {
        var set = _set;
        for (var i = 0; i < _count; i++)
        {
            if (set![i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }
}
