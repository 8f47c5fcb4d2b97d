using Microsoft.Extensions.Logging;

namespace Portico.Discovery;

/// <summary>Destinations found by DNS: what changed and what failed, once per change (ids 8100–8199).</summary>
internal sealed partial class DnsDiscoveryLog(ILogger<DnsDiscoveryLog> logger)
{
    [LoggerMessage(8101, LogLevel.Information, "cluster {Cluster}: {Name} resolves to {Count} address(es); added [{Added}], removed [{Removed}]")]
    public partial void Changed(string cluster, string name, int count, string added, string removed);

    [LoggerMessage(8102, LogLevel.Warning, "cluster {Cluster}: looking up {Name} failed, keeping the {Count} destination(s) found before; next try in {Retry}: {Reason}")]
    public partial void Failed(string cluster, string name, int count, string retry, string reason);

    [LoggerMessage(8103, LogLevel.Information, "cluster {Cluster}: looking up {Name} works again")]
    public partial void Recovered(string cluster, string name);

    [LoggerMessage(8104, LogLevel.Warning, "cluster {Cluster}: {Name} has no A or AAAA record; no destination comes from it until one appears")]
    public partial void Empty(string cluster, string name);
}
