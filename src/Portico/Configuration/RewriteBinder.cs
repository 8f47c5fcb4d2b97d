using Portico.Configuration.Model;
using Portico.Configuration.Yaml;
using Portico.Headers;

namespace Portico.Configuration;

/// <summary>Binds a route's `rewrite` section: the path, query and Host sent to the backend.</summary>
internal static class RewriteBinder
{
    public static RewriteSettings? Bind(MapReader route, RouteMatchSettings? match)
    {
        var m = route.Section("rewrite");
        if (m is null)
        {
            return null;
        }

        var captures = TemplateCaptures.Of(match ?? new RouteMatchSettings());
        var prefix = m.String("pathPrefix");
        var regex = RouteBinder.BindRegex(m, "pathRegex");
        var pathText = m.String("path");
        var hostText = m.String("host");
        var query = BindQuery(m, captures);
        m.Finish();
        if (prefix is not null)
        {
            if (!prefix.StartsWith('/') || prefix.AsSpan().IndexOfAny(" \t?#%") >= 0 || prefix.Split('/').Any(s => s is "." or ".."))
            {
                m.Error("pathPrefix", $"'{prefix}' must start with '/' and hold no space, '?', '#', '%' or '.' or '..' segment");
            }
            else if (match?.Path is not null)
            {
                m.Error("pathPrefix", "replaces the route's match.pathPrefix; this route matches a match.path template instead");
            }

            if (pathText is not null || m.Node("pathRegex") is not null)
            {
                m.Error("pathPrefix", "give either 'pathPrefix' or 'path' (with or without 'pathRegex'), not both");
            }
        }

        if (m.Node("pathRegex") is not null && pathText is null)
        {
            m.Error("pathRegex", "needs 'path': what a path it matches becomes, e.g. /v2/{re.1}");
        }

        var path = pathText is null ? null : Template(m, "path", pathText, captures.WithRegex(regex, "rewrite.pathRegex"));
        if (path is not null && !pathText!.StartsWith('/') && !pathText.StartsWith("{path}", StringComparison.Ordinal))
        {
            m.Error("path", $"'{pathText}' must start with '/'");
        }

        var host = hostText is null ? null : Template(m, "host", hostText, captures);
        if (host is { IsLiteral: true } && Uri.CheckHostName(hostText!.Split(':')[0]) == UriHostNameType.Unknown)
        {
            m.Error("host", $"'{hostText}' is not a host name");
        }

        return new RewriteSettings { PathPrefix = prefix, PathRegex = regex, Path = path, Query = query, Host = host };
    }

    private static ValueTemplate? Template(MapReader m, string key, string text, TemplateCaptures captures)
    {
        if (text.AsSpan().IndexOfAny(" \t#") >= 0)
        {
            m.Error(key, $"'{text}' holds a space, a tab or a '#': write them percent-encoded");
            return null;
        }

        var template = TemplateParser.Parse(text, captures, out var error);
        if (template is null)
        {
            m.Error(key, error!);
        }

        return template;
    }

    /// <summary>Why <paramref name="name"/> cannot be a query parameter's name as written: it would split or end the parameter.</summary>
    private static string? NameRefusal(string name)
        => name.Length == 0 || name.AsSpan().IndexOfAny("&=#+ \t%") >= 0 || name.Any(c => c < ' ' || c >= (char)0x7F)
            ? $"'{name}' is not a parameter name: write it without '&', '=', '#', '+', '%', spaces or non-ASCII"
            : null;

    /// <summary>`query`: `remove` (names), `set` and `append` (name → value template), as a `headers` direction.</summary>
    private static List<HeaderRule> BindQuery(MapReader parent, TemplateCaptures captures)
    {
        var rules = new List<HeaderRule>();
        var m = parent.Section("query");
        if (m is null)
        {
            return rules;
        }

        foreach (var name in m.ScalarList("remove") ?? [])
        {
            if (NameRefusal(name.Value) is { } refusal)
            {
                m.Errors.Add(name.Line, m.Child("remove"), refusal);
                continue;
            }

            rules.Add(new HeaderRule(HeaderAction.Remove, name.Value, null));
        }

        HeaderRulesBinder.BindValues(m, "set", HeaderAction.Set, captures, NameRefusal, rules);
        HeaderRulesBinder.BindValues(m, "append", HeaderAction.Append, captures, NameRefusal, rules);

        m.Finish();
        return rules;
    }
}
