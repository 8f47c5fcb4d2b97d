using System.Net;
using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds a cluster's `discovery` section (destinations from DNS records).</summary>
internal static class DiscoveryBinder
{
    public static DnsDiscoverySettings? Bind(MapReader cluster)
    {
        var m = cluster.Section("discovery");
        if (m is null)
        {
            return null;
        }

        var defaults = new DnsDiscoverySettings { Name = "", Port = 0 };
        var name = m.String("dns");
        var port = m.Int("port", 1, 65535);
        var resolverText = m.String("resolver");
        var min = m.Duration("minRefresh") ?? defaults.MinRefresh;
        var max = m.Duration("maxRefresh") ?? defaults.MaxRefresh;
        var valid = true;
        if (name is null || Uri.CheckHostName(name) != UriHostNameType.Dns)
        {
            m.Error("dns", name is null ? "required: the name whose A and AAAA records are the destinations, e.g. app.internal" : $"'{name}' is not a DNS name");
            valid = false;
        }

        if (port is null && m.Node("port") is null)
        {
            m.Error("port", "required: the port every record's address is reached on, e.g. 8080");
        }

        valid &= port is not null;

        IPEndPoint? resolver = null;
        if (resolverText is not null && !TryParseResolver(resolverText, out resolver))
        {
            m.Error("resolver", $"'{resolverText}' is not an IP address or IP:port");
            valid = false;
        }

        if (min > max)
        {
            m.Error("minRefresh", $"{Duration.Format(min)} is longer than maxRefresh ({Duration.Format(max)})");
            valid = false;
        }

        m.Finish();
        return valid ? new DnsDiscoverySettings { Name = name!, Port = port!.Value, Resolver = resolver, MinRefresh = min, MaxRefresh = max } : null;
    }

    private static bool TryParseResolver(string text, out IPEndPoint? endpoint)
    {
        if (IPAddress.TryParse(text, out var address))
        {
            endpoint = new IPEndPoint(address, 53);
            return true;
        }

        endpoint = IPEndPoint.TryParse(text, out var parsed) && parsed.Port != 0 ? parsed : null;
        return endpoint is not null;
    }
}
