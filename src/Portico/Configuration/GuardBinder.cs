using System.Net;
using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds the traffic-filtering keys: the top-level `limits`, and `limits`/`ipRules` of listeners and routes.</summary>
internal static class GuardBinder
{
    public static LimitsSettings BindLimits(MapReader root)
    {
        var defaults = new LimitsSettings();
        var m = root.Section("limits");
        if (m is null)
        {
            return defaults;
        }

        var policyText = m.String("underscoreHeaders");
        var policy = policyText switch
        {
            null or "drop" => UnderscoreHeaderPolicy.Drop,
            "reject" => UnderscoreHeaderPolicy.Reject,
            "allow" => UnderscoreHeaderPolicy.Allow,
            _ => Invalid(m, "underscoreHeaders", $"'{policyText}' is not one of: drop, reject, allow", UnderscoreHeaderPolicy.Drop),
        };

        var settings = new LimitsSettings
        {
            MaxRequestLine = Size(m, "maxRequestLine", 256, 1 << 20) ?? defaults.MaxRequestLine,
            MaxHeaderCount = m.Int("maxHeaderCount", 1, 10_000) ?? defaults.MaxHeaderCount,
            MaxHeadersSize = Size(m, "maxHeadersSize", 1024, 16 << 20) ?? defaults.MaxHeadersSize,
            MaxUrlLength = Size(m, "maxUrlLength", 1, 1 << 20),
            MaxBodySize = Size(m, "maxBodySize", 0, long.MaxValue / 2),
            Methods = MethodList(m) ?? [],
            Hosts = HostList(m),
            UnderscoreHeaders = policy,
            HeadersTimeout = m.Duration("headersTimeout") ?? defaults.HeadersTimeout,
            MinBodyRate = Size(m, "minBodyRate", 0, 1L << 30) ?? defaults.MinBodyRate,
            MinBodyRateGrace = m.Duration("minBodyRateGrace") ?? defaults.MinBodyRateGrace,
            KeepAliveTimeout = m.Duration("keepAliveTimeout") ?? defaults.KeepAliveTimeout,
            MaxConnections = m.Int("maxConnections", 1, int.MaxValue),
            MaxConnectionsPerIp = m.Int("maxConnectionsPerIp", 1, int.MaxValue),
        };
        if (settings.MinBodyRateGrace <= TimeSpan.FromSeconds(1))
        {
            m.Error("minBodyRateGrace", "must be longer than 1s (the server checks data rates once a second)");
        }

        if (settings.MaxUrlLength > settings.MaxRequestLine)
        {
            m.Error("maxUrlLength", $"must not exceed maxRequestLine ({settings.MaxRequestLine} bytes), which the whole request line must fit");
        }

        m.Finish();
        return settings;
    }

    public static RouteLimitsSettings? BindRouteLimits(MapReader route)
    {
        var m = route.Section("limits");
        if (m is null)
        {
            return null;
        }

        var settings = new RouteLimitsSettings
        {
            MaxUrlLength = Size(m, "maxUrlLength", 1, 1 << 20),
            MaxHeaderCount = m.Int("maxHeaderCount", 1, 10_000),
            MaxHeadersSize = Size(m, "maxHeadersSize", 64, 16 << 20),
            MaxBodySize = Size(m, "maxBodySize", 0, long.MaxValue / 2),
            Methods = MethodList(m),
        };
        m.Finish();
        return settings;
    }

    /// <summary>Route limits can tighten the server-wide header ceilings but not lift them: the server refuses first.</summary>
    public static void CheckRouteCeilings(PorticoSettings settings, ConfigErrors errors, ConfigLines lines)
    {
        foreach (var route in settings.Routes)
        {
            var path = $"routes.{route.Id}.limits";
            void Over(string key, long value, long ceiling)
            {
                if (value > ceiling)
                {
                    errors.Add(lines.Of($"{path}.{key}") ?? 0, $"{path}.{key}", $"{value} is above the global limits.{key} ({ceiling}); a route can only lower it");
                }
            }

            if (route.Limits is { } limits)
            {
                Over("maxHeaderCount", limits.MaxHeaderCount ?? 0, settings.Limits.MaxHeaderCount);
                Over("maxHeadersSize", limits.MaxHeadersSize ?? 0, settings.Limits.MaxHeadersSize);
                Over("maxUrlLength", limits.MaxUrlLength ?? 0, settings.Limits.MaxRequestLine);
            }
        }
    }

    public static IpRulesSettings? BindIpRules(MapReader parent)
    {
        var m = parent.Section("ipRules");
        if (m is null)
        {
            return null;
        }

        var settings = new IpRulesSettings { Allow = Networks(m, "allow"), Deny = Networks(m, "deny") };
        m.Finish();
        return settings;
    }

    internal static List<IPNetwork> Networks(MapReader m, string key)
    {
        var result = new List<IPNetwork>();
        foreach (var item in m.ScalarList(key) ?? [])
        {
            if (ConfigBinder.TryParseNetwork(item.Value, out var network))
            {
                result.Add(network);
            }
            else
            {
                m.Errors.Add(item.Line, m.Child(key), $"'{item.Value}' is not an IP address or CIDR block such as 10.0.0.0/8 or 2001:db8::/32");
            }
        }

        return result;
    }

    private static List<string>? MethodList(MapReader m)
    {
        var list = m.StringList("methods");
        if (list is null)
        {
            return null;
        }

        var result = new List<string>();
        foreach (var method in list)
        {
            if (method.Length == 0 || !method.All(c => char.IsAsciiLetter(c) || c == '-'))
            {
                m.Error("methods", $"'{method}' is not an HTTP method");
                continue;
            }

            result.Add(method.ToUpperInvariant());
        }

        return result;
    }

    private static List<string> HostList(MapReader m)
    {
        var hosts = m.StringList("hosts") ?? [];
        foreach (var host in hosts)
        {
            if (host.Length == 0 || host.Contains('/') || host.Contains(' ') || (host.Contains('*') && !host.StartsWith("*.", StringComparison.Ordinal)))
            {
                m.Error("hosts", $"'{host}' is not a host name; a wildcard must be the first label, as in *.example.com");
            }
        }

        return hosts.Select(h => h.ToLowerInvariant()).ToList();
    }

    private static long? Size(MapReader m, string key, long min, long max)
    {
        var text = m.String(key);
        if (text is null)
        {
            return null;
        }

        if (!ByteSize.TryParse(text, out var bytes) || bytes < min || bytes > max)
        {
            m.Error(key, $"'{text}' is not a size from {min} to {max} bytes (examples: 512, 64KiB, 10MiB)");
            return null;
        }

        return bytes;
    }

    private static T Invalid<T>(MapReader m, string key, string reason, T fallback)
    {
        m.Error(key, reason);
        return fallback;
    }
}
