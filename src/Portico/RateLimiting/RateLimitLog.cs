using Microsoft.Extensions.Logging;

namespace Portico.RateLimiting;

/// <summary>
/// Rate-limit log events (ids 8050–8099, within Redis's block: they are about counting across
/// instances). The switch between shared and per-instance counting is logged once each way,
/// never once per request.
/// </summary>
internal sealed partial class RateLimitLog(ILogger<RateLimitLog> logger)
{
    [LoggerMessage(8050, LogLevel.Warning, "rate limits: Redis is not available, counting per instance with each limit divided by {Instances} instance(s) until it is")]
    public partial void SharedLost(long instances);

    [LoggerMessage(8051, LogLevel.Information, "rate limits: Redis is available again, counting across instances")]
    public partial void SharedBack();
}
