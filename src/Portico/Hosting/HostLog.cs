using Microsoft.Extensions.Logging;

namespace Portico.Hosting;

/// <summary>The process's own life: start-up and shutdown log events (ids 10–99).</summary>
internal sealed partial class HostLog(ILogger<HostLog> logger)
{
    [LoggerMessage(11, LogLevel.Information, "shutting down: {Count} request(s) in flight get up to {Grace} to finish")]
    public partial void Draining(long count, string grace);

    [LoggerMessage(12, LogLevel.Warning, "shutdown grace period of {Grace} is over: cut off {Count} request(s) still in flight")]
    public partial void CutOff(string grace, long count);

    [LoggerMessage(13, LogLevel.Information, "at rest for {After}: released memory, GC committed {CommittedBefore} → {CommittedAfter} MiB, resident {ResidentBefore} → {ResidentAfter} MiB, in {Milliseconds} ms")]
    public partial void MemoryReleased(string after, long committedBefore, long committedAfter, long residentBefore, long residentAfter, long milliseconds);

    [LoggerMessage(14, LogLevel.Error, "releasing memory at rest failed; the proxy serves on")]
    public partial void MemoryReleaseFailed(Exception error);
}
