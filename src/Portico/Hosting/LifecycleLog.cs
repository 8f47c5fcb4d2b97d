using Microsoft.Extensions.Logging;

namespace Portico.Hosting;

/// <summary>What an L4 balancer's readiness check sees change (ids 8200–8299).</summary>
internal sealed partial class LifecycleLog(ILogger<LifecycleLog> logger)
{
    [LoggerMessage(8201, LogLevel.Information, "ready: config revision {Revision} serving on every listener; /readyz answers 200")]
    public partial void Ready(int revision);

    [LoggerMessage(8202, LogLevel.Information, "draining: /readyz answers 503; listeners keep accepting for {Delay} (proxy.shutdownDelay) before they close")]
    public partial void Draining(string delay);
}
