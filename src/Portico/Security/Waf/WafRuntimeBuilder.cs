using System.Collections.Frozen;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Security.Waf;

/// <summary>
/// At every config load: checks that the library and the rule files are there, parses one rule
/// set per distinct <see cref="WafProfile"/> (the parse itself is what validates the rules), and
/// maps each inspected route to its set. Nothing is built when no route turns the WAF on.
/// </summary>
internal sealed class WafRuntimeBuilder(WafLog log) : IConfigRuntimeBuilder
{
    public IDisposable? Build(PorticoSettings settings, ConfigErrors errors, ConfigLines lines)
    {
        var routes = settings.Routes.Where(r => r.Waf.Mode != WafMode.Off).ToArray();
        if (routes.Length == 0)
        {
            return null;
        }

        var firstRouteKey = $"routes.{routes[0].Id}.waf";
        void Add(string key, string reason) => errors.Add(lines.Of(key) ?? lines.Of(firstRouteKey) ?? 0, key, reason);

        if (!WafLibrary.TryGetEngine(out var missing))
        {
            foreach (var route in routes)
            {
                Add($"routes.{route.Id}.waf", missing!);
            }

            return null;
        }

        var global = settings.Waf;
        string[] crsFiles = [];
        if (global.CrsDirectory is { } crs)
        {
            crsFiles = WafRulesText.CrsFiles(crs);
            if (crsFiles.Length == 0)
            {
                Add(lines.Of("waf.crs") is null ? firstRouteKey : "waf.crs", crs == WafSettings.DebianCrs
                    ? $"the OWASP Core Rule Set is not installed ({crs}/rules/REQUEST-*.conf not found); install it with: {WafLibrary.InstallHint}"
                    : $"no Core Rule Set in {crs} ({crs}/rules/REQUEST-*.conf not found)");
            }
        }

        foreach (var (key, files) in new[] { ("waf.setup", global.SetupFiles), ("waf.rules", global.RuleFiles) })
        {
            foreach (var file in files.Where(f => !File.Exists(f)))
            {
                Add(key, $"rule file {file} does not exist");
            }
        }

        if (errors.Any)
        {
            return null;
        }

        var sets = new Dictionary<WafProfile, WafRuleSet>();
        var byRoute = new Dictionary<string, RouteWaf>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            var profile = WafProfile.Of(route.Waf, global);
            if (!sets.TryGetValue(profile, out var set))
            {
                var started = Environment.TickCount64;
                set = WafRuleSet.Parse(WafRulesText.For(profile, global, crsFiles), out var error);
                if (set is null)
                {
                    Add(global.RuleFiles.Count + global.SetupFiles.Count > 0 ? "waf" : $"routes.{route.Id}.waf", $"the rules do not load: {error!.Trim()}");
                    break;
                }

                log.RuleSetParsed(profile.Paranoia, profile.AnomalyThreshold, Environment.TickCount64 - started);
                sets[profile] = set;
            }

            byRoute[route.Id] = new RouteWaf(route.Waf.Mode, set, global.RequestBodyLimit, route.Waf.RequestBodyLimitAction ?? global.RequestBodyLimitAction);
        }

        var runtime = new WafRuntime(byRoute.ToFrozenDictionary(StringComparer.Ordinal), sets.Values.ToArray());
        if (errors.Any)
        {
            runtime.Dispose();
            return null;
        }

        return runtime;
    }
}
