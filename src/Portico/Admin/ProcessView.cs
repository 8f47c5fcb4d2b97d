using System.Diagnostics;
using Portico.Observability;

namespace Portico.Admin;

/// <summary>The process as the admin API's status shows it: uptime, memory, garbage collections, threads, open client connections.</summary>
internal static class ProcessView
{
    public static object Now(PorticoMetrics metrics, TimeProvider time)
    {
        using var process = Process.GetCurrentProcess();
        var started = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        return new
        {
            startedAt = started,
            uptimeSeconds = Math.Max(0, (long)(time.GetUtcNow() - started).TotalSeconds),
            workingSetBytes = process.WorkingSet64,
            gcHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
            gcCollections = Enumerable.Range(0, GC.MaxGeneration + 1).Select(GC.CollectionCount).ToArray(),
            threads = process.Threads.Count,
            threadPoolThreads = ThreadPool.ThreadCount,
            openConnections = metrics.OpenConnections,
            inFlightRequests = metrics.ActiveRequests,
        };
    }
}
