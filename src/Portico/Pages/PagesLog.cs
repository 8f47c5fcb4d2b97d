using Microsoft.Extensions.Logging;

namespace Portico.Pages;

/// <summary>Error and maintenance page log events (ids 7200–7299).</summary>
internal sealed partial class PagesLog(ILogger<PagesLog> logger)
{
    [LoggerMessage(7201, LogLevel.Information, "route {Route}: maintenance switched {State} by the admin API")]
    public partial void MaintenanceSwitched(string route, string state);

    [LoggerMessage(7202, LogLevel.Debug, "route {Route}: the backend's {Status} answer replaced by Portico's page (interceptErrors)")]
    public partial void BackendErrorReplaced(string route, int status);
}
