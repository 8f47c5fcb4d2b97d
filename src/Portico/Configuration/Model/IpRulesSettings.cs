using System.Net;

namespace Portico.Configuration.Model;

/// <summary>`ipRules` of a listener or a route: CIDR allow and deny lists on the real client address.</summary>
internal sealed record IpRulesSettings
{
    /// <summary>`allow`: when not empty, only these addresses are served. Default: everyone.</summary>
    public IReadOnlyList<IPNetwork> Allow { get; init; } = [];

    /// <summary>`deny`: these are refused, even when also allowed. Default: none.</summary>
    public IReadOnlyList<IPNetwork> Deny { get; init; } = [];

    public bool Permits(IPAddress address)
    {
        foreach (var network in Deny)
        {
            if (network.Contains(address))
            {
                return false;
            }
        }

        if (Allow.Count == 0)
        {
            return true;
        }

        foreach (var network in Allow)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
