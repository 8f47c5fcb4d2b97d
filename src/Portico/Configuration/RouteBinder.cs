using System.Text.RegularExpressions;
using Portico.Configuration.Model;
using Portico.Configuration.Yaml;
using Portico.Headers;

namespace Portico.Configuration;

/// <summary>Binds one `routes.ID` section.</summary>
internal static class RouteBinder
{
    private static readonly string[] KnownMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"];

    public static RouteSettings? Bind(MapReader m, string id)
    {
        var cluster = m.String("cluster");
        var match = BindMatch(m);
        var redirects = RedirectBinder.BindTable(m, match);
        if (cluster is null && m.Node("redirects") is null)
        {
            // A route that only redirects answers every request itself.
            m.Error("cluster", "required: the id of the cluster that serves this route");
        }

        var timeout = m.Duration("timeout");
        var retryNonIdempotent = m.Bool("retryNonIdempotent") ?? false;
        var preserveHost = m.Bool("preserveHost") ?? true;
        var order = m.Int("order", -100_000, 100_000);
        var waf = WafBinder.BindRoute(m);
        var limits = GuardBinder.BindRouteLimits(m);
        var ipRules = GuardBinder.BindIpRules(m);
        var rateLimit = RateLimitBinder.Bind(m, id);
        var cache = CacheBinder.BindRoute(m);
        var compression = CompressionBinder.Bind(m);
        var bodyRewrite = BodyRewriteBinder.Bind(m);
        var headers = HeaderRulesBinder.Bind(m, TemplateCaptures.Of(match ?? new RouteMatchSettings()));
        var cors = CorsBinder.Bind(m);
        var auth = AuthBinder.Bind(m, id);
        var device = DeviceBinder.Bind(m);
        var split = SplitBinder.Bind(m, cache is not null);
        var errorPages = ErrorPagesBinder.BindPages(m);
        var interceptErrors = ErrorPagesBinder.BindIntercept(m);
        var maintenance = ErrorPagesBinder.BindMaintenance(m);
        var normalize = RedirectBinder.BindNormalize(m);
        var rewrite = RewriteBinder.Bind(m, match);
        if (cluster is null && m.Node("redirects") is not null && rewrite is not null)
        {
            m.Error("rewrite", "a route without a cluster only redirects: it forwards nothing to rewrite");
        }

        var mirror = MirrorBinder.Bind(m);
        if (cluster is null && mirror is not null)
        {
            m.Error("mirror", "a route without a cluster only redirects: it forwards nothing to mirror");
        }

        if (match is null || (cluster is null && redirects.Count == 0))
        {
            return null;
        }

        return new RouteSettings
        {
            Id = id,
            Match = match,
            Cluster = cluster,
            Timeout = timeout,
            RetryNonIdempotent = retryNonIdempotent,
            PreserveHost = preserveHost,
            Order = order,
            Waf = waf,
            Limits = limits,
            IpRules = ipRules,
            RateLimit = rateLimit,
            Cache = cache,
            Compression = compression,
            BodyRewrite = bodyRewrite,
            Headers = headers,
            Cors = cors,
            Auth = auth,
            Device = device,
            Split = split,
            Redirects = redirects,
            Normalize = normalize,
            Rewrite = rewrite,
            Mirror = mirror,
            ErrorPages = errorPages,
            InterceptErrors = interceptErrors,
            Maintenance = maintenance,
        };
    }

    private static RouteMatchSettings? BindMatch(MapReader route)
    {
        var m = route.Section("match");
        if (m is null)
        {
            return new RouteMatchSettings();
        }

        var hosts = m.StringList("hosts") ?? [];
        foreach (var host in hosts)
        {
            if (host.Length == 0 || host.Contains('/') || host.Contains(' ') || (host.Contains('*') && !host.StartsWith("*.", StringComparison.Ordinal)))
            {
                m.Error("hosts", $"'{host}' is not a host name; a wildcard must be the first label, as in *.example.com");
            }
        }

        var path = m.String("path");
        var prefix = m.String("pathPrefix");
        if (path is not null && prefix is not null)
        {
            m.Error("pathPrefix", "give either 'path' or 'pathPrefix', not both");
        }

        foreach (var (key, value) in new[] { ("path", path), ("pathPrefix", prefix) })
        {
            if (value is not null && !value.StartsWith('/'))
            {
                m.Error(key, $"'{value}' must start with '/'");
            }
        }

        var regex = BindRegex(m, "pathRegex");
        var methods = new List<string>();
        foreach (var method in m.StringList("methods") ?? [])
        {
            var upper = method.ToUpperInvariant();
            if (!KnownMethods.Contains(upper) && !IsToken(method))
            {
                m.Error("methods", $"'{method}' is not an HTTP method");
                continue;
            }

            methods.Add(upper);
        }

        var settings = new RouteMatchSettings
        {
            Hosts = hosts,
            Path = path,
            PathPrefix = prefix,
            PathRegex = regex,
            Methods = methods,
            Headers = BindValueMatches(m, "headers"),
            Query = BindValueMatches(m, "query"),
            Device = DeviceBinder.BindMatch(m),
            ClientIps = GuardBinder.Networks(m, "clientIps"),
            Cookies = BindValueMatches(m, "cookies"),
        };
        m.Finish();
        return settings;
    }

    internal static Regex? BindRegex(MapReader m, string key)
    {
        var text = m.String(key);
        if (text is null)
        {
            return null;
        }

        try
        {
            // A match timeout bounds the cost of a pathological pattern on hostile input.
            return new Regex(text, RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromMilliseconds(50));
        }
        catch (ArgumentException ex)
        {
            m.Error(key, $"'{text}' is not a valid regular expression: {ex.Message}");
            return null;
        }
    }

    private static List<ValueMatchSettings> BindValueMatches(MapReader parent, string key)
    {
        var result = new List<ValueMatchSettings>();
        var section = parent.Section(key);
        if (section is null)
        {
            return result;
        }

        foreach (var (nameNode, value) in section.Entries)
        {
            var name = nameNode.Value;
            if (!IsToken(name))
            {
                parent.Errors.Add(nameNode.Line, section.Child(name), key == "cookies" ? "not a valid cookie name" : "not a valid header or parameter name");
                continue;
            }

            if (value is ScalarNode or SequenceNode)
            {
                var values = value is ScalarNode s ? [s.Value] : ((SequenceNode)value).Items.OfType<ScalarNode>().Select(i => i.Value).ToArray();
                result.Add(new ValueMatchSettings { Name = name, Values = values });
                continue;
            }

            var m = MapReader.For(value, section.Child(name), parent.Errors, parent.Lines, nameNode.Line)!;
            var modeText = m.String("mode") ?? "exact";
            ValueMatchMode? mode = modeText switch
            {
                "exact" => ValueMatchMode.Exact,
                "prefix" => ValueMatchMode.Prefix,
                "contains" => ValueMatchMode.Contains,
                "not-contains" => ValueMatchMode.NotContains,
                "exists" => ValueMatchMode.Exists,
                "not-exists" => ValueMatchMode.NotExists,
                _ => null,
            };
            var list = m.StringList("values") ?? [];
            var caseSensitive = m.Bool("caseSensitive") ?? false;
            m.Finish();
            if (mode is null || (key == "query" && mode == ValueMatchMode.NotExists))
            {
                m.Error("mode", key == "query"
                    ? $"'{modeText}' is not one of: exact, prefix, contains, not-contains, exists"
                    : $"'{modeText}' is not one of: exact, prefix, contains, not-contains, exists, not-exists");
                continue;
            }

            var needsValues = mode is not (ValueMatchMode.Exists or ValueMatchMode.NotExists);
            if (needsValues && list.Count == 0)
            {
                m.Error("values", $"mode '{modeText}' needs at least one value");
                continue;
            }

            if (!needsValues && list.Count > 0)
            {
                m.Error("values", $"mode '{modeText}' takes no values");
                continue;
            }

            result.Add(new ValueMatchSettings { Name = name, Values = list, Mode = mode.Value, CaseSensitive = caseSensitive });
        }

        return result;
    }

    /// <summary>An RFC 9110 §5.6.2 token: a header or method name.</summary>
    internal static bool IsToken(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));
}
