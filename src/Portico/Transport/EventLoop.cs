using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Portico.Transport;

/// <summary>Something registered with an <see cref="EventLoop"/>: told of readiness, and of work posted to it.</summary>
internal interface ILoopMember
{
    /// <summary>On the loop's thread: the descriptor became ready (an edge: epoll's EPOLLET).</summary>
    void OnEvents(uint events);

    /// <summary>On the loop's thread: work posted with <see cref="EventLoop.Post"/>.</summary>
    void OnPosted(int work);
}

/// <summary>
/// One thread waiting in epoll for its descriptors and running what they are ready for, as
/// nginx's and HAProxy's workers do. Registration is edge-triggered: a member reads or writes
/// until the kernel says it would block (or a read comes back short, which for a stream socket
/// means its queue is empty), then waits for the next edge instead of asking again.
/// </summary>
internal sealed unsafe class EventLoop : IDisposable
{
    private const int MaxEvents = 256;
    private const int ReceiveBufferSize = 64 * 1024;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly ILogger _log;
    private readonly ConcurrentQueue<(ILoopMember Member, int Work)> _posted = new();
    private readonly Lock _slotsLock = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly List<int> _releasedSlots = [];
    private ILoopMember?[] _slots = new ILoopMember?[256];
    private int _usedSlots;
    private readonly Lock _wakeLock = new();

    // 0 once the loop is about to wait in epoll, when a post must wake it through the eventfd;
    // 1 while it is awake (it looks at the queue again before it waits) or a wake-up is on its way.
    private int _wakePending;
    private volatile bool _stopping;
    private int _stopped;

    // Written by the loop's thread only.
    private long _wakeups;

    public EventLoop(int index, ILogger log)
    {
        Index = index;
        _log = log;
        _epoll = Native.EpollCreate(Native.EpollCloexec);
        _wake = Native.EventFd(0, Native.EfdNonblock | Native.EfdCloexec);
        if (_epoll < 0 || _wake < 0)
        {
            throw new SocketException((int)SocketError.SocketError);
        }

        var ev = new Native.EpollEvent { Events = Native.EpollIn | Native.EpollEt, Data = WakeToken };
        if (Native.EpollCtl(_epoll, Native.EpollCtlAdd, _wake, &ev) < 0)
        {
            throw new SocketException((int)SocketError.SocketError);
        }

        Lingering = new LingeringCloses(this);
        _thread = new Thread(Run) { IsBackground = true, Name = $"Portico I/O {index}" };
        _thread.UnsafeStart();
    }

    public int Index { get; }

    /// <summary>
    /// What this loop's connections receive into before their bytes go to their input pipes; used
    /// on the loop's thread only. As large as a read from a busy socket usefully is, so a burst
    /// or an upload takes fewer reads.
    /// </summary>
    public byte[] ReceiveBuffer { get; } = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);

    /// <summary>The connections closing on this loop that read and drop what their clients still send (<see cref="LingeringCloses"/>).</summary>
    public LingeringCloses Lingering { get; }

    /// <summary>Whether the caller is this loop's thread.</summary>
    public bool OnLoop => Thread.CurrentThread == _thread;

    /// <summary>
    /// Whether the loop is handling events (or is already being woken): work posted now runs
    /// after the batch in hand, at the cost of a queue entry; posted to a sleeping loop it costs
    /// an eventfd write and a wake-up, which the loop's thread often takes at once, ahead of the poster.
    /// </summary>
    public bool Busy => Volatile.Read(ref _wakePending) != 0;

    /// <summary>How many times the loop's thread has returned from epoll_wait (read by tests: a loop that spins shows it).</summary>
    public long Wakeups => Volatile.Read(ref _wakeups);

    /// <summary>Registers a non-blocking descriptor for reads and writes; returns its slot.</summary>
    public int Register(int fd, ILoopMember member)
    {
        int slot;
        lock (_slotsLock)
        {
            if (!_freeSlots.TryPop(out slot))
            {
                slot = _usedSlots++;
                if (slot == _slots.Length)
                {
                    var grown = new ILoopMember?[_slots.Length * 2];
                    _slots.CopyTo(grown, 0);
                    Volatile.Write(ref _slots, grown);
                }
            }

            _slots[slot] = member;
        }

        var ev = new Native.EpollEvent { Events = Native.EpollIn | Native.EpollOut | Native.EpollRdHup | Native.EpollEt, Data = (ulong)slot };
        if (Native.EpollCtl(_epoll, Native.EpollCtlAdd, fd, &ev) < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            Release(slot);
            throw new SocketException((int)Errors.ToSocketError(error));
        }

        return slot;
    }

    /// <summary>Puts <paramref name="member"/> in a slot in place of its member (the descriptor stays registered; its events go to the new member).</summary>
    public void Replace(int slot, ILoopMember member)
    {
        lock (_slotsLock)
        {
            _slots[slot] = member;
        }
    }

    /// <summary>
    /// Frees a slot whose descriptor is being closed (closing it takes it out of epoll). The slot
    /// is reused only after the batch of events being handled, so a late event in the same batch
    /// finds no member rather than a new one.
    /// </summary>
    public void Release(int slot)
    {
        lock (_slotsLock)
        {
            _slots[slot] = null;
            _releasedSlots.Add(slot);
        }
    }

    /// <summary>Runs <see cref="ILoopMember.OnPosted"/> on the loop's thread.</summary>
    public void Post(ILoopMember member, int work)
    {
        _posted.Enqueue((member, work));
        if (Volatile.Read(ref _stopped) != 0)
        {
            // The loop has ended (the transport is being disposed): nobody else will run it.
            RunPosted();
        }
        else if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Wake();
        }
    }

    /// <summary>
    /// Stops the loop's thread and closes its descriptors once it has ended (never under it, so
    /// a late wake-up cannot write into a descriptor number reused meanwhile). Work posted from
    /// then on runs on the poster's thread.
    /// </summary>
    public void Dispose()
    {
        _stopping = true;
        Wake();
        if (!OnLoop)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        lock (_wakeLock)
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0)
            {
                return;
            }

            Native.Close(_epoll);
            Native.Close(_wake);
        }

        // The loop's thread has ended: nobody else touches them now. The server does not wait
        // for lingering closes; their clients had their whole responses.
        Lingering.CloseAll();

        RunPosted();
    }

    private void Wake()
    {
        lock (_wakeLock)
        {
            if (_stopped == 0)
            {
                ulong one = 1;
                _ = Native.Write(_wake, &one, sizeof(ulong));
            }
        }
    }

    private void Run()
    {
        var events = (Native.EpollEvent*)NativeMemory.Alloc(MaxEvents, (nuint)sizeof(Native.EpollEvent));
        try
        {
            while (!_stopping)
            {
                // A full fence, not just a release: the queue is looked at after the flag is
                // down, so work posted while it was up (without a wake-up: see Post) is run now
                // rather than slept on.
                Interlocked.Exchange(ref _wakePending, 0);
                // While connections linger, wake at least once a sweep's time to close those past it.
                var n = Native.EpollWait(_epoll, events, MaxEvents, !_posted.IsEmpty ? 0 : Lingering.Count > 0 ? LingeringCloses.SweepMilliseconds : -1);

                // Awake until the next wait: work posted from here on is run after this batch,
                // and needs no eventfd write, epoll wake-up and read. Sends gathered onto the
                // loop (LoopConnection.GatherSends) are posted mostly while it is busy.
                Volatile.Write(ref _wakePending, 1);
                Volatile.Write(ref _wakeups, _wakeups + 1);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Native.EIntr)
                    {
                        continue;
                    }

                    TransportLog.LoopStopped(_log, Index, Marshal.GetLastPInvokeError());
                    return;
                }

                for (var i = 0; i < n; i++)
                {
                    // Read per event: a registration on another thread may have grown the table.
                    var slots = Volatile.Read(ref _slots);
                    var data = events[i].Data;
                    if (data == WakeToken)
                    {
                        ulong count;
                        _ = Native.Read(_wake, &count, sizeof(ulong));
                        continue;
                    }

                    if (data < (ulong)slots.Length && slots[(int)data] is { } member)
                    {
                        Dispatch(member, events[i].Events);
                    }
                }

                RunPosted();
                lock (_slotsLock)
                {
                    foreach (var slot in _releasedSlots)
                    {
                        _freeSlots.Push(slot);
                    }

                    _releasedSlots.Clear();
                }

                if (Lingering.Count > 0)
                {
                    Lingering.Sweep();
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out var item))
        {
            try
            {
                item.Member.OnPosted(item.Work);
            }
            catch (Exception e)
            {
                TransportLog.PostedWorkFailed(_log, e, Index);
            }
        }
    }

    private void Dispatch(ILoopMember member, uint events)
    {
        try
        {
            member.OnEvents(events);
        }
        catch (Exception e)
        {
            TransportLog.HandlerFailed(_log, e, Index);
        }
    }
}

/// <summary>errno values as .NET's <see cref="SocketError"/>.</summary>
internal static class Errors
{
    public static SocketError ToSocketError(int errno) => errno switch
    {
        11 => SocketError.WouldBlock,
        32 => SocketError.Shutdown,
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        101 => SocketError.NetworkUnreachable,
        107 => SocketError.NotConnected,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        113 => SocketError.HostUnreachable,
        115 => SocketError.InProgress,
        _ => SocketError.SocketError,
    };

    public static SocketException Exception(int errno) => new((int)ToSocketError(errno));
}
