using Microsoft.Extensions.Logging;

namespace Portico.Caching;

/// <summary>Disk tier log events (ids 5100–5199).</summary>
internal sealed partial class DiskCacheLog(ILogger<DiskCacheLog> logger)
{
    [LoggerMessage(5100, LogLevel.Information, "cache: disk tier {Directory} indexed: {Entries} stored response(s), {Bytes} bytes, in {Milliseconds} ms")]
    public partial void Indexed(string directory, long entries, long bytes, long milliseconds);

    [LoggerMessage(5101, LogLevel.Warning, "cache: disk tier file {Path} is damaged ({Reason}); deleted")]
    public partial void Damaged(string path, string reason);

    [LoggerMessage(5102, LogLevel.Warning, "cache: disk tier could not write {Path}: {Detail}")]
    public partial void WriteFailed(string path, string detail);

    [LoggerMessage(5103, LogLevel.Warning, "cache: disk tier could not read {Path}: {Detail}")]
    public partial void ReadFailed(string path, string detail);

    [LoggerMessage(5104, LogLevel.Error, "cache: disk tier {Directory} could not be opened: {Detail}; the cache runs on the memory tier alone")]
    public partial void OpenFailed(string directory, string detail);
}
