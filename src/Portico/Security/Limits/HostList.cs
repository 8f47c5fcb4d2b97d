using Microsoft.AspNetCore.Http;

namespace Portico.Security.Limits;

/// <summary>Matches a request's Host against `limits.hosts`: exact names, "*." wildcards, an optional ":port".</summary>
internal static class HostList
{
    public static bool Contains(IReadOnlyList<string> hosts, HostString requestHost)
    {
        var host = requestHost.Host;
        var port = requestHost.Port;
        foreach (var entry in hosts)
        {
            var colon = entry.LastIndexOf(':');
            var name = colon > 0 && !entry.EndsWith(']') ? entry[..colon] : entry;
            if (colon > 0 && !entry.EndsWith(']') && entry[(colon + 1)..] != port?.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                continue;
            }

            var matches = name.StartsWith("*.", StringComparison.Ordinal)
                ? host.Length > name.Length - 1 && host.EndsWith(name.AsSpan(1), StringComparison.OrdinalIgnoreCase)
                : string.Equals(host, name, StringComparison.OrdinalIgnoreCase);
            if (matches)
            {
                return true;
            }
        }

        return false;
    }
}
