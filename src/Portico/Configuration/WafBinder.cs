using System.Text.RegularExpressions;
using Portico.Configuration.Model;
using Portico.Configuration.Yaml;

namespace Portico.Configuration;

/// <summary>Binds the global `waf` section and a route's `waf` key.</summary>
internal static partial class WafBinder
{
    public static WafSettings BindGlobal(MapReader root)
    {
        var d = new WafSettings();
        var m = root.Section("waf");
        if (m is null)
        {
            return d;
        }

        var crs = m.String("crs");
        var limit = d.RequestBodyLimit;
        if (m.String("requestBodyLimit") is { } sizeText && (!ByteSize.TryParse(sizeText, out limit) || limit is < 1024 or > 1L << 30))
        {
            m.Error("requestBodyLimit", $"'{sizeText}' is not a size from 1KiB to 1GiB (examples: 128KiB, 1MiB)");
            limit = d.RequestBodyLimit;
        }

        var settings = new WafSettings
        {
            CrsDirectory = crs is "off" or "false" ? null : Resolve(m, "crs", crs) ?? d.CrsDirectory,
            SetupFiles = (m.StringList("setup") ?? []).Select(f => Resolve(m, "setup", f)).OfType<string>().ToArray(),
            RuleFiles = (m.StringList("rules") ?? []).Select(f => Resolve(m, "rules", f)).OfType<string>().ToArray(),
            Paranoia = m.Int("paranoia", 1, 4) ?? d.Paranoia,
            AnomalyThreshold = m.Int("anomalyThreshold", 1, 10_000) ?? d.AnomalyThreshold,
            AllowedMethods = BindMethods(m) ?? d.AllowedMethods,
            AuditLog = m.String("auditLog") ?? d.AuditLog,
            RequestBodyLimit = limit,
            RequestBodyLimitAction = BindLimitAction(m) ?? d.RequestBodyLimitAction,
        };
        if (settings.CrsDirectory is null && settings.RuleFiles.Count == 0)
        {
            m.Error("crs", "with the Core Rule Set off, list your own rule files in 'waf.rules'");
        }

        m.Finish();
        return settings;
    }

    public static RouteWafSettings BindRoute(MapReader route)
    {
        var node = route.Node("waf");
        switch (node)
        {
            case null:
                return RouteWafSettings.Off;
            case ScalarNode scalar:
                return ParseMode(route, "waf", scalar.Value) is { } mode ? new RouteWafSettings { Mode = mode } : RouteWafSettings.Off;
        }

        var m = route.Section("waf");
        if (m is null)
        {
            return RouteWafSettings.Off;
        }

        var modeText = m.String("mode");
        if (modeText is null)
        {
            m.Error("mode", "required: off, detect or block");
        }

        var parsed = modeText is null ? null : ParseMode(m, "mode", modeText);
        var exclusions = new List<string>();
        foreach (var id in m.ScalarList("excludeRules") ?? [])
        {
            if (RuleIdPattern().IsMatch(id.Value))
            {
                exclusions.Add(id.Value);
            }
            else
            {
                route.Errors.Add(id.Line, m.Child("excludeRules"), $"'{id.Value}' is not a rule id (942100) or id range (942100-942199)");
            }
        }

        var settings = new RouteWafSettings
        {
            Mode = parsed ?? WafMode.Off,
            Paranoia = m.Int("paranoia", 1, 4),
            AnomalyThreshold = m.Int("anomalyThreshold", 1, 10_000),
            ExcludeRules = exclusions,
            RequestBodyLimitAction = BindLimitAction(m),
        };
        m.Finish();
        return settings;
    }

    private static WafBodyLimitAction? BindLimitAction(MapReader m)
    {
        if (m.String("requestBodyLimitAction") is not { } name)
        {
            return null;
        }

        var action = WafBodyLimitActionNames.Parse(name);
        if (action is null)
        {
            m.Error("requestBodyLimitAction", $"'{name}' is not one of: {WafBodyLimitActionNames.Reject}, {WafBodyLimitActionNames.InspectFirst}");
        }

        return action;
    }

    private static IReadOnlyList<string>? BindMethods(MapReader m)
    {
        var methods = m.StringList("allowedMethods");
        if (methods is null)
        {
            return null;
        }

        foreach (var bad in methods.Where(x => x.Length == 0 || !x.All(char.IsAsciiLetterUpper)))
        {
            m.Error("allowedMethods", $"'{bad}' is not an HTTP method in capitals, such as GET or PUT");
        }

        return methods;
    }

    /// <summary>A path relative to the config file's folder, made absolute; ModSecurity's `Include` takes no spaces or quotes.</summary>
    private static string? Resolve(MapReader m, string key, string? path)
    {
        if (path is null)
        {
            return null;
        }

        if (path.Length == 0 || path.Any(c => char.IsWhiteSpace(c) || c is '"' or '\''))
        {
            m.Error(key, $"'{path}' cannot be used: ModSecurity's Include takes a path without spaces or quotes");
            return null;
        }

        return Path.GetFullPath(path, Path.GetDirectoryName(Path.GetFullPath(m.Errors.File)) ?? "/");
    }

    private static WafMode? ParseMode(MapReader m, string key, string text)
    {
        switch (text)
        {
            case "off" or "false":
                return WafMode.Off;
            case "detect":
                return WafMode.Detect;
            case "block":
                return WafMode.Block;
            default:
                m.Error(key, $"'{text}' is not one of: off, detect, block");
                return null;
        }
    }

    [GeneratedRegex("^[0-9]{1,9}(-[0-9]{1,9})?$")]
    private static partial Regex RuleIdPattern();
}
