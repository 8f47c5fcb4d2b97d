using System.Net;

namespace Portico.Configuration.Model;

/// <summary>
/// A cluster's `discovery` section: destinations found by DNS, one per A and AAAA record of a
/// name, re-resolved as the records' TTLs say (HAProxy's server-template, Envoy's strict DNS).
/// </summary>
internal sealed record DnsDiscoverySettings
{
    /// <summary>`dns`: the name to resolve (not an IP address). Required.</summary>
    public required string Name { get; init; }

    /// <summary>`port`: the port each record's address is reached on. Required.</summary>
    public required int Port { get; init; }

    /// <summary>`resolver`: the DNS server asked (IP, or IP:port; port 53 by default). Default: the system's (/etc/resolv.conf).</summary>
    public IPEndPoint? Resolver { get; init; }

    /// <summary>`minRefresh`: shortest wait before asking again, whatever the TTL; also the wait after a failed or empty answer. Default 5s.</summary>
    public TimeSpan MinRefresh { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>`maxRefresh`: longest wait before asking again, whatever the TTL. Default 5m.</summary>
    public TimeSpan MaxRefresh { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>One line naming every setting: equal lines, same discovery (kept across a reload).</summary>
    public string Describe() => $"{Name}:{Port} via {Resolver?.ToString() ?? "system"} refresh {MinRefresh}..{MaxRefresh}";
}
