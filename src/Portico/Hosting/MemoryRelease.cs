using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Portico.Configuration;
using Portico.Observability;

namespace Portico.Hosting;

/// <summary>
/// Hands memory the process no longer uses back to the system once the proxy has been at rest
/// for `proxy.releaseMemoryAfter` (issue 25). After a burst the runtime keeps what the burst
/// grew to: the garbage collector's committed heap and the room it keeps for new objects, and
/// the C library's freed blocks (OpenSSL's among them). So a proxy that served real load held
/// about a quarter more resident memory at rest than one that served a few requests, for as
/// long as it stayed idle. At rest, no request in flight and none answered for the whole
/// period, one full compacting collection that decommits what it frees
/// (<see cref="GCCollectionMode.Aggressive"/>, about 10 ms on an idle process) and glibc's
/// `malloc_trim` return it. Once per quiet spell, and only when the GC's committed memory is
/// <see cref="WorthBytes"/> above what the last release left (before the first, above
/// <see cref="WorthBytes"/> itself, about what a release leaves: 8–12 MiB measured). From a heap
/// that never grew the collection returns nothing, and its compaction can even commit a little more.
/// </summary>
internal sealed partial class MemoryRelease : IHostedService, IDisposable
{
    /// <summary>The growth of the GC's committed memory over what the last release left that makes a release worth its full collection.</summary>
    internal const long WorthBytes = 8 << 20;

    private static readonly TimeSpan LongestCheck = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ShortestCheck = TimeSpan.FromMilliseconds(200);

    private readonly ActiveConfig _config;
    private readonly PorticoMetrics _metrics;
    private readonly HostLog _log;
    private readonly TimeProvider _time;
    private readonly QuietSpell _spell;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private TimeSpan _period;
    private long _releases;

    public MemoryRelease(ActiveConfig config, PorticoMetrics metrics, HostLog log, TimeProvider time, IMeterFactory meters)
    {
        _config = config;
        _metrics = metrics;
        _log = log;
        _time = time;
        _spell = new QuietSpell();
        meters.Create(PorticoMetrics.MeterName).CreateObservableCounter("portico.memory.releases", () => Volatile.Read(ref _releases), "{release}",
            "Times the process handed unused memory back to the system after proxy.releaseMemoryAfter at rest");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _period = CheckEvery(_config.Current.Settings.Proxy.ReleaseMemoryAfter);
        _timer = _time.CreateTimer(static s => ((MemoryRelease)s!).Check(), this, _period, _period);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();

    /// <summary>A fifth of the period (so a spell is seen within 20 % of it), between 200 ms and 5 s; 5 s when off, so a reload that turns it on is seen.</summary>
    internal static TimeSpan CheckEvery(TimeSpan after)
        => after <= TimeSpan.Zero ? LongestCheck : TimeSpan.FromTicks(Math.Clamp(after.Ticks / 5, ShortestCheck.Ticks, LongestCheck.Ticks));

    private void Check()
    {
        // A timer callback may overlap the next one if a release is slow; one at a time.
        if (!_gate.TryEnter())
        {
            return;
        }

        try
        {
            var after = _config.Current.Settings.Proxy.ReleaseMemoryAfter;
            var period = CheckEvery(after);
            if (period != _period)
            {
                _period = period;
                _timer?.Change(period, period);
            }

            // As of the last collection, which is what a release could give back.
            if (!_spell.Due(_time.GetElapsedTime(0), _metrics.RequestsAnswered, _metrics.ActiveRequests, GC.GetGCMemoryInfo().TotalCommittedBytes, after))
            {
                return;
            }

            var committed = Release(after);
            _spell.Released(_time.GetElapsedTime(0), committed);
        }
        catch (Exception e)
        {
            // A timer's callback that throws ends the process: a release is not worth the proxy.
            _log.MemoryReleaseFailed(e);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Returns the GC's committed memory after the release.</summary>
    private long Release(TimeSpan after)
    {
        var resident = Environment.WorkingSet;
        var committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var started = _time.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
        var took = _time.GetElapsedTime(started);
        Interlocked.Increment(ref _releases);
        var left = GC.GetGCMemoryInfo().TotalCommittedBytes;
        _log.MemoryReleased(Duration.Format(after), committed >> 20, left >> 20, resident >> 20, Environment.WorkingSet >> 20, (long)took.TotalMilliseconds);
        return left;
    }

    /// <summary>glibc's free blocks back to the system; nothing where the C library has no `malloc_trim` (musl).</summary>
    private static void TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = Native.MallocTrim(0);
        }
        catch (EntryPointNotFoundException)
        {
        }
        catch (DllNotFoundException)
        {
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "malloc_trim")]
        internal static partial int MallocTrim(nuint pad);
    }
}

/// <summary>
/// When the process has been at rest long enough to release memory (<see cref="MemoryRelease"/>):
/// no request in flight and no request answered for the whole period, and the GC's committed
/// memory at least <see cref="MemoryRelease.WorthBytes"/> above what the last release left
/// (before the first, above <see cref="MemoryRelease.WorthBytes"/>). A request answered or in
/// flight starts the period again. Times are from any fixed origin; not thread-safe.
/// </summary>
internal sealed class QuietSpell
{
    private long _answered = -1;
    private TimeSpan _quietSince;
    private long _left = MemoryRelease.WorthBytes;

    public bool Due(TimeSpan now, long answered, long active, long committed, TimeSpan after)
    {
        if (answered != _answered || active != 0)
        {
            _answered = active != 0 ? -1 : answered;
            _quietSince = now;
            return false;
        }

        return after > TimeSpan.Zero
            && now - _quietSince >= after
            && committed - _left >= MemoryRelease.WorthBytes;
    }

    /// <param name="committed">The GC's committed memory after the release: the level to grow from before the next.</param>
    public void Released(TimeSpan now, long committed)
    {
        _left = committed;
        _quietSince = now;
    }
}
