using Portico.Configuration.Model;
using Portico.Configuration.Yaml;
using Portico.Headers;

namespace Portico.Configuration;

/// <summary>Binds a route's `redirects` table and its `normalize` section.</summary>
internal static class RedirectBinder
{
    /// <summary>RFC 9110 §15.4: the redirections that name their target in `Location`.</summary>
    public static readonly int[] Statuses = [301, 302, 303, 307, 308];

    public static IReadOnlyList<RedirectRule> BindTable(MapReader route, RouteMatchSettings? match)
    {
        var rules = new List<RedirectRule>();
        var node = route.Node("redirects");
        if (node is null)
        {
            return rules;
        }

        if (node is not SequenceNode seq)
        {
            route.Error("redirects", $"expected a list of {{ path or pathRegex, to, status, query }}, found {node.Kind}");
            return rules;
        }

        var captures = TemplateCaptures.Of(match ?? new RouteMatchSettings());
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var m = MapReader.For(seq.Items[i], $"{route.Child("redirects")}[{i}]", route.Errors, route.Lines, seq.Items[i].Line);
            if (m is not null && Rule(m, match, captures) is { } rule)
            {
                rules.Add(rule);
            }
        }

        return rules;
    }

    public static NormalizeSettings? BindNormalize(MapReader route)
    {
        var m = route.Section("normalize");
        if (m is null)
        {
            return null;
        }

        var slashText = m.String("trailingSlash") ?? "keep";
        TrailingSlash? slash = slashText switch { "keep" => TrailingSlash.Keep, "add" => TrailingSlash.Add, "remove" => TrailingSlash.Remove, _ => null };
        if (slash is null)
        {
            m.Error("trailingSlash", $"'{slashText}' is not one of: add, remove, keep");
        }

        var settings = new NormalizeSettings { TrailingSlash = slash ?? TrailingSlash.Keep, Lowercase = m.Bool("lowercase") ?? false, Status = Status(m) ?? 308 };
        m.Finish();
        return settings.TrailingSlash == TrailingSlash.Keep && !settings.Lowercase ? null : settings;
    }

    private static RedirectRule? Rule(MapReader m, RouteMatchSettings? match, TemplateCaptures captures)
    {
        var path = m.String("path");
        var regex = RouteBinder.BindRegex(m, "pathRegex");
        var toText = m.String("to");
        var status = Status(m);
        var queryText = m.String("query") ?? "keep";
        m.Finish();
        if (queryText is not ("keep" or "drop"))
        {
            m.Error("query", $"'{queryText}' is not one of: keep, drop");
        }

        if ((path is null) == (m.Node("pathRegex") is null))
        {
            m.Error("path", "give either 'path' (an exact path) or 'pathRegex', not both and not neither");
            return null;
        }

        if (path is not null && !path.StartsWith('/'))
        {
            m.Error("path", $"'{path}' must start with '/'");
        }

        var to = toText is null ? null : Target(m, toText, captures.WithRegex(regex, "pathRegex"));
        if (toText is null)
        {
            m.Error("to", "required: the target, a path such as /new/{re.1} or an absolute URL such as https://example.com/");
        }

        if (to is null || (path is null && regex is null))
        {
            return null;
        }

        var rule = new RedirectRule { Path = path, PathRegex = regex, To = to, Status = status ?? 302, KeepQuery = queryText != "drop" };
        if (RedirectLoop.Finds(rule, match))
        {
            m.Error("to", $"'{toText}' is matched by this rule again: the client would be redirected in a loop");
        }

        return rule;
    }

    private static ValueTemplate? Target(MapReader m, string text, TemplateCaptures captures)
    {
        if (!(text.StartsWith('/') && !text.StartsWith("//", StringComparison.Ordinal)) && !text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            m.Error("to", $"'{text}' is neither a path starting with '/' nor an http:// or https:// URL");
            return null;
        }

        if (text.AsSpan().IndexOfAny(" \t#") >= 0)
        {
            m.Error("to", $"'{text}' holds a space, a tab or a '#': write them percent-encoded");
            return null;
        }

        var template = TemplateParser.Parse(text, captures, out var error);
        if (template is null)
        {
            m.Error("to", error!);
        }

        return template;
    }

    private static int? Status(MapReader m)
    {
        var status = m.Int("status", 100, 999);
        if (status is { } s && !Statuses.Contains(s))
        {
            m.Error("status", $"'{s}' is not one of: {string.Join(", ", Statuses)}");
            return null;
        }

        return status;
    }
}
