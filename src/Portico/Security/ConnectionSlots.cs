using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Portico.Security;

/// <summary>`limits.maxConnections`: the client connections open at once, on every listener together.</summary>
internal sealed class ConnectionSlots(long limit)
{
    private long _open;

    public long Limit => limit;

    /// <summary>One more open connection, or null when <see cref="Limit"/> are open already.</summary>
    public Slot? TryTake()
    {
        while (true)
        {
            var open = Volatile.Read(ref _open);
            if (open >= limit)
            {
                return null;
            }

            if (Interlocked.CompareExchange(ref _open, open + 1, open) == open)
            {
                return new Slot(this);
            }
        }
    }

    /// <summary>One connection's place, given back once: when it ends, or earlier when it upgrades.</summary>
    public sealed class Slot(ConnectionSlots owner) : IDecrementConcurrentConnectionCountFeature
    {
        private int _released;

        public void ReleaseConnection()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref owner._open);
            }
        }
    }
}
