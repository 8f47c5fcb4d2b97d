using System.Net;
using System.Text.RegularExpressions;
using Portico.Configuration.Model;
using Portico.Configuration.Yaml;
using Portico.Headers;

namespace Portico.Configuration;

/// <summary>
/// Turns a parsed document into <see cref="PorticoSettings"/>. Every problem is added to the
/// error list and binding carries on, so one run reports all of them.
/// </summary>
internal static partial class ConfigBinder
{
    public static PorticoSettings? Bind(ConfigNode root, ConfigErrors errors, ConfigLines lines)
    {
        var map = MapReader.For(root, "", errors, lines, 1);
        if (map is null)
        {
            return null;
        }

        var listeners = BindNamed(map, "listeners", BindListener);
        var proxy = BindProxy(map);
        var routes = BindNamed(map, "routes", RouteBinder.Bind);
        var clusters = BindNamed(map, "clusters", ClusterBinder.Bind);
        var admin = ObservabilityBinder.BindAdmin(map);
        var accessLog = ObservabilityBinder.BindAccessLog(map);
        var tracing = ObservabilityBinder.BindTracing(map);
        var waf = WafBinder.BindGlobal(map);
        var limits = GuardBinder.BindLimits(map);
        var acme = TlsBinder.BindAcme(map);
        var cache = CacheBinder.BindStore(map);
        var headers = HeaderRulesBinder.Bind(map, TemplateCaptures.None);
        var auth = OidcBinder.BindGlobal(map);
        var errorPages = ErrorPagesBinder.BindPages(map);
        var redis = RedisBinder.Bind(map);

        // Top-level "x-…" keys are the operator's own (YAML anchors to share, notes); we skip them.
        foreach (var (key, _) in map.Entries.Where(e => e.Key.Value.StartsWith("x-", StringComparison.Ordinal)).ToArray())
        {
            map.Node(key.Value);
        }

        map.Finish();

        if (listeners.Count == 0 && map.Node("listeners") is null)
        {
            errors.Add(1, "listeners", "at least one listener is required (e.g. listeners: { public: { address: \"0.0.0.0:8080\" } })");
        }

        var settings = new PorticoSettings
        {
            Listeners = listeners,
            Proxy = proxy,
            Routes = routes,
            Clusters = clusters,
            Admin = admin,
            AccessLog = accessLog,
            Tracing = tracing,
            Waf = waf,
            Limits = limits,
            Acme = acme,
            Cache = cache,
            Headers = headers,
            Auth = auth,
            ErrorPages = errorPages,
            Redis = redis,
        };
        GuardBinder.CheckRouteCeilings(settings, errors, lines);
        return settings;
    }

    /// <summary>Binds a mapping of id → section, checking each id's spelling.</summary>
    internal static List<T> BindNamed<T>(MapReader parent, string key, Func<MapReader, string, T?> bind)
        where T : class
    {
        var result = new List<T>();
        var section = parent.Section(key);
        if (section is null)
        {
            return result;
        }

        foreach (var (idNode, value) in section.Entries)
        {
            var id = idNode.Value;
            var path = section.Child(id);
            if (!IdPattern().IsMatch(id))
            {
                parent.Errors.Add(idNode.Line, path, "an id may use letters, digits, '-', '_' and '.' only");
                continue;
            }

            parent.Lines.Record(path, idNode.Line);
            parent.Lines.Declare(key, id);
            var reader = MapReader.For(value, path, parent.Errors, parent.Lines, idNode.Line);
            if (reader is null)
            {
                continue;
            }

            var item = bind(reader, id);
            reader.Finish();
            if (item is not null)
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static ListenerSettings? BindListener(MapReader m, string name)
    {
        var addressText = m.String("address");
        var protocols = m.StringList("protocols");
        var ipRules = GuardBinder.BindIpRules(m);
        IPEndPoint? endPoint = null;
        if (addressText is null)
        {
            m.Error("address", "required: host:port to listen on, e.g. \"0.0.0.0:8080\"");
        }
        else if (!TryParseEndPoint(addressText, out endPoint))
        {
            m.Error("address", $"'{addressText}' is not an IP address and port such as 0.0.0.0:8080, [::]:8080 or localhost:8080");
        }

        var tls = TlsBinder.BindListener(m);
        var protocol = tls is null ? BindPlainProtocols(m, protocols) : BindTlsProtocols(m, protocols);
        var redirect = BindRedirect(m);
        if (redirect is not null && tls is not null)
        {
            m.Error("redirectToHttps", "only a plain-text listener redirects to HTTPS; this one has 'tls'");
        }

        return endPoint is null ? null : new ListenerSettings { Name = name, EndPoint = endPoint, Protocols = protocol, IpRules = ipRules, Tls = tls, RedirectToHttpsPort = redirect };
    }

    private static ListenerProtocols BindPlainProtocols(MapReader m, IReadOnlyList<string>? protocols)
    {
        if (protocols is null)
        {
            return ListenerProtocols.Http1;
        }

        var set = protocols.Select(p => p.ToLowerInvariant()).Distinct().ToArray();
        if (set.Any(p => p is not ("http1" or "h2c")))
        {
            m.Error("protocols", $"'{string.Join(", ", protocols)}' is not supported; use [http1] or [h2c] (h2 needs 'tls')");
        }
        else if (set.Length == 2)
        {
            m.Error("protocols", "a plain-text listener serves either http1 or h2c, not both; declare two listeners on different ports");
        }
        else if (set is ["h2c"])
        {
            return ListenerProtocols.H2c;
        }

        return ListenerProtocols.Http1;
    }

    private static ListenerProtocols BindTlsProtocols(MapReader m, IReadOnlyList<string>? protocols)
    {
        var result = ListenerProtocols.Http1 | ListenerProtocols.H2;
        if (protocols is null)
        {
            return result;
        }

        var set = protocols.Select(p => p.ToLowerInvariant()).Distinct().ToArray();
        if (set.Length == 0 || set.Any(p => p is not ("http1" or "h2")))
        {
            m.Error("protocols", $"'{string.Join(", ", protocols)}' is not supported; a TLS listener offers h2 and/or http1");
            return result;
        }

        return (set.Contains("http1") ? ListenerProtocols.Http1 : 0) | (set.Contains("h2") ? ListenerProtocols.H2 : 0);
    }

    /// <summary>`redirectToHttps`: true means port 443; a number names the HTTPS port.</summary>
    private static int? BindRedirect(MapReader m)
    {
        var text = m.String("redirectToHttps");
        switch (text)
        {
            case null or "false" or "False" or "no" or "off":
                return null;
            case "true" or "True" or "yes" or "on":
                return 443;
        }

        if (int.TryParse(text, out var port) && port is > 0 and <= 65535)
        {
            return port;
        }

        m.Error("redirectToHttps", $"'{text}' is not true, false or a port from 1 to 65535");
        return null;
    }

    internal static bool TryParseEndPoint(string text, out IPEndPoint? endPoint)
    {
        endPoint = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        var address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out var ip) ? ip : null,
        };
        if (address is null)
        {
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }

    private static ProxySettings BindProxy(MapReader root)
    {
        var defaults = new ProxySettings();
        var m = root.Section("proxy");
        if (m is null)
        {
            return defaults;
        }

        var trusted = new List<IPNetwork>();
        foreach (var cidr in m.ScalarList("trustedProxies") ?? [])
        {
            if (TryParseNetwork(cidr.Value, out var network))
            {
                trusted.Add(network);
            }
            else
            {
                root.Errors.Add(cidr.Line, "proxy.trustedProxies", $"'{cidr.Value}' is not an IP address or CIDR block such as 10.0.0.0/8");
            }
        }

        var kinds = ForwardedHeaderKinds.None;
        var forwarded = m.StringList("forwardedHeaders");
        foreach (var kind in forwarded ?? [])
        {
            kinds |= kind.ToLowerInvariant() switch
            {
                "x-forwarded" => ForwardedHeaderKinds.XForwarded,
                "forwarded" => ForwardedHeaderKinds.Forwarded,
                _ => Fail(m, "forwardedHeaders", $"'{kind}' is not one of: x-forwarded, forwarded"),
            };
        }

        var settings = new ProxySettings
        {
            TrustedProxies = trusted,
            HideResponseHeaders = m.StringList("hideResponseHeaders") ?? defaults.HideResponseHeaders,
            ForwardedHeaders = forwarded is null ? defaults.ForwardedHeaders : kinds,
            ShutdownGracePeriod = m.Duration("shutdownGracePeriod", allowZero: true) ?? defaults.ShutdownGracePeriod,
            ShutdownDelay = m.Duration("shutdownDelay", allowZero: true) ?? defaults.ShutdownDelay,
            ReleaseMemoryAfter = m.Duration("releaseMemoryAfter", allowZero: true) ?? defaults.ReleaseMemoryAfter,
        };
        m.Finish();
        return settings;
    }

    private static ForwardedHeaderKinds Fail(MapReader m, string key, string reason)
    {
        m.Error(key, reason);
        return ForwardedHeaderKinds.None;
    }

    internal static bool TryParseNetwork(string text, out IPNetwork network)
    {
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(text, out var single))
        {
            network = new IPNetwork(single, single.GetAddressBytes().Length * 8);
            return true;
        }

        return false;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex IdPattern();
}
