using Microsoft.Extensions.Logging;

namespace Portico.Routing;

/// <summary>Redirect and rewrite log events (ids 7000–7099).</summary>
internal sealed partial class RewriteLog(ILogger<RewriteLog> logger)
{
    [LoggerMessage(7001, LogLevel.Debug, "route {Route}: redirected {Path} with {Status} to {Location}")]
    public partial void Redirected(string route, string path, int status, string location);

    [LoggerMessage(7002, LogLevel.Information, "route {Route}: refused {Path} with 400: its rewrite gives {Rewritten}, which holds a '.' or '..' segment")]
    public partial void RewriteRefused(string route, string path, string rewritten);
}
