using Microsoft.Extensions.Logging;

namespace Portico.Mirroring;

/// <summary>Traffic mirroring log events (ids 7100–7199). Debug only: a shadow is allowed to fail, and the metrics count it.</summary>
internal sealed partial class MirrorLog(ILogger<MirrorLog> logger)
{
    [LoggerMessage(7101, LogLevel.Debug, "route {Route}: the copy for shadow cluster {Cluster} was dropped ({Reason})")]
    public partial void Dropped(string route, string cluster, string reason);

    [LoggerMessage(7102, LogLevel.Debug, "route {Route}: the copy to shadow destination {Destination} failed: {Detail}")]
    public partial void ShadowFailed(string route, string destination, string detail);
}
