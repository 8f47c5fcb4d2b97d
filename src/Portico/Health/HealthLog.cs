using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Model;

namespace Portico.Health;

/// <summary>Health log events (ids 2000–2099).</summary>
internal sealed partial class HealthLog(ILogger<HealthLog> logger)
{
    [LoggerMessage(2001, LogLevel.Warning, "cluster {Cluster}: destination {Destination} failed its active health check (probe: {Probe}); taken out")]
    public partial void ActiveUnhealthy(string cluster, string destination, string probe);

    [LoggerMessage(2003, LogLevel.Information, "cluster {Cluster}: destination {Destination} passed its active health check (probe: {Probe}); in service")]
    public partial void ActiveHealthy(string cluster, string destination, string probe);

    [LoggerMessage(2002, LogLevel.Warning, "cluster {Cluster}: destination {Destination} ejected by passive health ({Reason}) for {Period}")]
    public partial void PassiveEjected(string cluster, string destination, string reason, TimeSpan period);
}
