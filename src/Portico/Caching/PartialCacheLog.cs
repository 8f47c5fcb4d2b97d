using Microsoft.Extensions.Logging;

namespace Portico.Caching;

/// <summary>Partial content in the cache, RFC 9111 §3.3 and §3.4 (ids 5200–5299).</summary>
internal sealed partial class PartialCacheLog(ILogger<PartialCacheLog> logger)
{
    [LoggerMessage(5200, LogLevel.Debug, "cache: {Key}: bytes {Added} combined with the stored part; {Held} bytes of {Length} now held ({Ranges})")]
    public partial void Combined(string key, string added, long held, long length, string ranges);

    [LoggerMessage(5201, LogLevel.Debug, "cache: {Key}: bytes {Added} completed the stored part; stored as a complete response of {Length} bytes")]
    public partial void Completed(string key, string added, long length);
}
