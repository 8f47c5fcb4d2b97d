using Microsoft.Extensions.Logging;

namespace Portico.Caching;

/// <summary>Cache log events (ids 5000–5099).</summary>
internal sealed partial class CacheLog(ILogger<CacheLog> logger)
{
    [LoggerMessage(5001, LogLevel.Warning, "cache: background revalidation of {Key} failed: {Detail}")]
    public partial void RefreshFailed(string key, string detail);

    [LoggerMessage(5002, LogLevel.Information, "cache: purged {Count} stored response(s) for {What} {Target}")]
    public partial void Purged(int count, string what, string target);

    [LoggerMessage(5050, LogLevel.Information, "cache: {Mode} purge by tag {Tags}: {Count} stored response(s)")]
    public partial void TagsPurged(string mode, string tags, int count);
}
