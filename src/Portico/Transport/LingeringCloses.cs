using System.Runtime.InteropServices;

namespace Portico.Transport;

/// <summary>
/// A loop's lingering closes, as nginx's `lingering_close`: a connection whose response is done
/// while the client may still be sending (bytes the loop has not read wait in the socket) has
/// its write side shut down, so the response goes out whole and then the end of the stream, and
/// its descriptor stays on the loop, read into the loop's receive buffer and dropped, until the
/// client's end of stream, <see cref="IdleMilliseconds"/> without a byte, <see cref="TotalMilliseconds"/>
/// in all, or the loop's end. A close(2) with bytes unread makes Linux reset the connection and
/// throw away what of the response it had not sent yet ("unread data was tossed"), and answer
/// with a reset whatever comes later. A lingering close holds a descriptor, its loop slot and
/// this set's entry: no pipe, no Kestrel object, no buffer of its own. At most
/// <see cref="MaxPerLoop"/> at a time on a loop; past it a connection is closed at once, as before.
/// Used on the loop's thread only (but for <see cref="Count"/>, and <see cref="CloseAll"/> once the loop has ended).
/// </summary>
internal sealed class LingeringCloses
{
    /// <summary>nginx's `lingering_time`: how long a lingering close lasts at most.</summary>
    public const int TotalMilliseconds = 30_000;

    /// <summary>nginx's `lingering_timeout`: how long it waits for the client's next bytes.</summary>
    public const int IdleMilliseconds = 5_000;

    /// <summary>Lingering closes one loop holds at most.</summary>
    public const int MaxPerLoop = 512;

    /// <summary>How often the loop looks for lingering closes past their time (the loop wakes for it while any linger).</summary>
    public const int SweepMilliseconds = 1_000;

    // Reads on one lingering connection per turn of the loop, 4 MiB at the loop's 64 KiB: a
    // client sending fast does not hold the loop; the rest is read after the other events.
    private const int MaxReadsPerTurn = 64;

    private readonly EventLoop _loop;
    private readonly List<Lingering> _open = [];
    private long _nextSweep;
    private int _count;
    private long _started;

    public LingeringCloses(EventLoop loop) => _loop = loop;

    /// <summary>Lingering closes now (read from any thread).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Lingering closes begun since the loop started (read from any thread).</summary>
    public long Started => Volatile.Read(ref _started);

    /// <summary>
    /// Takes over <paramref name="fd"/> (write side already shut down) and its loop slot: false
    /// when the loop holds <see cref="MaxPerLoop"/> already, and the caller closes as before.
    /// </summary>
    public bool TryBegin(int fd, int slot)
    {
        if (_open.Count >= MaxPerLoop)
        {
            return false;
        }

        var now = Environment.TickCount64;
        var lingering = new Lingering(this, fd, slot, now) { Index = _open.Count };
        _open.Add(lingering);
        Volatile.Write(ref _count, _open.Count);
        Volatile.Write(ref _started, _started + 1);
        if (_open.Count == 1)
        {
            _nextSweep = now + SweepMilliseconds;
        }

        _loop.Replace(slot, lingering);

        // What waits in the socket now: the edge that told of it has come and gone.
        lingering.Drain();
        return true;
    }

    /// <summary>After a batch of events, while any linger: closes those past their time, once a <see cref="SweepMilliseconds"/>.</summary>
    public void Sweep()
    {
        var now = Environment.TickCount64;
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + SweepMilliseconds;
        for (var i = _open.Count - 1; i >= 0; i--)
        {
            var lingering = _open[i];
            if (now - lingering.Began >= TotalMilliseconds || now - lingering.LastRead >= IdleMilliseconds)
            {
                Close(lingering);
            }
        }
    }

    /// <summary>The loop has ended (the server stops): every lingering close is closed now; nothing waits for them.</summary>
    public void CloseAll()
    {
        for (var i = _open.Count - 1; i >= 0; i--)
        {
            Close(_open[i]);
        }
    }

    private void Close(Lingering lingering)
    {
        if (lingering.Index < 0)
        {
            return;
        }

        // Swap the last entry into this one's place.
        var last = _open[^1];
        _open[lingering.Index] = last;
        last.Index = lingering.Index;
        _open.RemoveAt(_open.Count - 1);
        lingering.Index = -1;
        Volatile.Write(ref _count, _open.Count);

        // Closed first, then the slot freed (see EventLoop.Release).
        _ = Native.Close(lingering.Fd);
        _loop.Release(lingering.Slot);
    }

    /// <summary>One lingering connection, in its loop slot in place of the connection.</summary>
    private sealed class Lingering(LingeringCloses owner, int fd, int slot, long began) : ILoopMember
    {
        public int Fd { get; } = fd;

        public int Slot { get; } = slot;

        public long Began { get; } = began;

        public long LastRead { get; private set; } = began;

        /// <summary>Where it is in the set; -1 once closed.</summary>
        public int Index { get; set; }

        public void OnEvents(uint events) => Drain();

        /// <summary>Posted by itself: the reads a turn allows ran out with bytes still coming.</summary>
        public void OnPosted(int work) => Drain();

        public unsafe void Drain()
        {
            if (Index < 0)
            {
                return;
            }

            var buffer = owner._loop.ReceiveBuffer;
            var read = false;
            for (var i = 0; i < MaxReadsPerTurn; i++)
            {
                nint n;
                fixed (byte* p = buffer)
                {
                    n = Native.Recv(Fd, p, (nuint)buffer.Length, 0);
                }

                if (n > 0)
                {
                    read = true;
                    continue;
                }

                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Native.EIntr)
                    {
                        continue;
                    }

                    if (errno == Native.EAgain)
                    {
                        if (read)
                        {
                            LastRead = Environment.TickCount64;
                        }

                        return;
                    }
                }

                // The client's end of stream (the close is clean now), or an error.
                owner.Close(this);
                return;
            }

            LastRead = Environment.TickCount64;
            owner._loop.Post(this, 0);
        }
    }
}
