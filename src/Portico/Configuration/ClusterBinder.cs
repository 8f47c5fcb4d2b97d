using System.Globalization;
using Portico.Configuration.Model;
using Portico.Configuration.Yaml;
using Portico.LoadBalancing;

namespace Portico.Configuration;

/// <summary>Binds one `clusters.ID` section.</summary>
internal static class ClusterBinder
{
    public static ClusterSettings? Bind(MapReader m, string id)
    {
        // A cluster with any error is left out whole: its half-read settings are never translated.
        var errorsBefore = m.Errors.All.Count;
        var discovery = DiscoveryBinder.Bind(m);
        var destinations = BindDestinations(m, emptyAllowed: m.Node("discovery") is not null);
        var policy = m.String("loadBalancing") ?? PolicyNames.RoundRobin;
        if (!PolicyNames.All.Contains(policy))
        {
            m.Error("loadBalancing", $"'{policy}' is not one of: {string.Join(", ", PolicyNames.All)}");
        }

        var hashKey = m.String("hashKey");
        if (hashKey is not null && !HashKeySpec.TryParse(hashKey, out _))
        {
            m.Error("hashKey", $"'{hashKey}' is not one of: client-ip, header:NAME, cookie:NAME");
        }

        if (hashKey is not null && policy != PolicyNames.ConsistentHash)
        {
            m.Error("hashKey", $"only used with loadBalancing: {PolicyNames.ConsistentHash}");
        }

        if (discovery is not null && policy == PolicyNames.ConsistentHash)
        {
            // The ring is built from the listed destinations when the config loads; records found later have no place on it.
            m.Error("discovery", $"not used with loadBalancing: {PolicyNames.ConsistentHash}");
        }

        var timeout = m.Duration("timeout");
        var connectTimeout = m.Duration("connectTimeout");
        var retries = m.Int("retries", 0, 10) ?? 0;
        var (version, maxConnections) = BindHttp(m);
        var (active, passive) = HealthBinder.Bind(m);
        var tls = TlsBinder.BindCluster(m);
        if (destinations is null || m.Errors.All.Count > errorsBefore)
        {
            return null;
        }

        return new ClusterSettings
        {
            Id = id,
            Destinations = destinations,
            Discovery = discovery,
            LoadBalancing = policy,
            HashKey = hashKey ?? "client-ip",
            Timeout = timeout,
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10),
            Retries = retries,
            HttpVersion = version,
            MaxConnectionsPerServer = maxConnections,
            Tls = tls,
            ActiveHealth = active,
            PassiveHealth = passive,
        };
    }

    /// <param name="emptyAllowed">With `discovery`, `[]`: every destination comes from DNS.</param>
    private static List<DestinationSettings>? BindDestinations(MapReader m, bool emptyAllowed)
    {
        var node = m.Node("destinations");
        if (node is not SequenceNode seq || (seq.Items.Count == 0 && !emptyAllowed))
        {
            m.Error("destinations", node is null or SequenceNode
                ? "required: a list of backend URLs, e.g. [http://127.0.0.1:9001] ([] when discovery finds them all)"
                : $"expected a list, found {node.Kind}");
            return null;
        }

        var result = new List<DestinationSettings>();
        var path = m.Child("destinations");
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var item = seq.Items[i];
            string? address;
            string? name = null;
            var weight = 1;
            if (item is ScalarNode s)
            {
                address = s.Value;
            }
            else
            {
                var d = MapReader.For(item, $"{path}[{i}]", m.Errors, m.Lines, item.Line);
                if (d is null)
                {
                    continue;
                }

                address = d.String("address");
                name = d.String("name");
                weight = d.Int("weight", 1, 1000) ?? 1;
                d.Finish();
                if (address is null)
                {
                    d.Error("address", "required: the backend's URL, e.g. http://127.0.0.1:9001");
                    continue;
                }
            }

            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                m.Errors.Add(item.Line, $"{path}[{i}]", $"'{address}' is not an http:// or https:// URL (a base path is allowed; query and fragment are not)");
                continue;
            }

            name ??= uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
            if (result.Any(r => r.Name == name))
            {
                m.Errors.Add(item.Line, $"{path}[{i}]", $"destination '{name}' is listed twice");
                continue;
            }

            result.Add(new DestinationSettings { Name = name, Address = uri, Weight = weight });
        }

        return result;
    }

    private static (string Version, int? MaxConnections) BindHttp(MapReader cluster)
    {
        var m = cluster.Section("http");
        if (m is null)
        {
            return ("1.1", null);
        }

        var version = m.String("version") ?? "1.1";
        if (version is not ("1.1" or "2"))
        {
            m.Error("version", $"'{version}' is not one of: 1.1, 2");
            version = "1.1";
        }

        var max = m.Int("maxConnectionsPerServer", 1, 1_000_000);
        m.Finish();
        return (version, max);
    }
}
