using Microsoft.Extensions.Logging;

namespace Portico.Security.Waf;

/// <summary>The WAF's log events (ids 3200–3299); what the WAF stops or detects goes to its audit log.</summary>
internal sealed partial class WafLog(ILogger<WafLog> logger)
{
    [LoggerMessage(3201, LogLevel.Information, "WAF rule set parsed (paranoia {Paranoia}, anomaly threshold {Threshold}) in {Milliseconds} ms")]
    public partial void RuleSetParsed(int paranoia, int threshold, long milliseconds);

    [LoggerMessage(3202, LogLevel.Error, "WAF audit log {Path} cannot be written: {Reason}")]
    public partial void AuditLogFailed(string path, string reason);
}
