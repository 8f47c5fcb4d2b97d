using Microsoft.Extensions.Logging;

namespace Portico.Observability;

/// <summary>Portico's own metrics: what they cannot hold (ids 6100–6119).</summary>
internal sealed partial class MetricsLog(ILogger<MetricsLog> logger)
{
    [LoggerMessage(6101, LogLevel.Warning, "metrics: {Instrument} may need {Needed} series for the routes, clusters and destinations loaded since start, above the {Limit} it was given at start; series past the limit are counted in its otel_metric_overflow series until a restart")]
    public partial void LimitExceeded(string instrument, int needed, int limit);
}
