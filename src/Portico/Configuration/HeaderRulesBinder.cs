using Portico.Configuration.Model;
using Portico.Configuration.Yaml;
using Portico.Headers;

namespace Portico.Configuration;

/// <summary>Binds a `headers` section, the top-level defaults or a route's.</summary>
internal static class HeaderRulesBinder
{
    // Fields that frame the message or manage the connection (RFC 9112 §6 and §9.6, RFC 9110
    // §7.6.1) and Host (routing and `preserveHost` decide it): Kestrel and YARP own them, and a
    // rule changing one could desynchronize the client's or the backend's connection.
    private static readonly string[] Managed = ["Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade", "Host"];

    /// <summary>The rules, or null when the section is absent or empty; <paramref name="captures"/> are what `{path.…}` and `{re.…}` may name.</summary>
    public static HeaderRulesSettings? Bind(MapReader parent, TemplateCaptures captures)
    {
        var m = parent.Section("headers");
        if (m is null)
        {
            return null;
        }

        var settings = new HeaderRulesSettings
        {
            Request = BindDirection(m, "request", captures),
            Response = BindDirection(m, "response", captures),
        };
        m.Finish();
        return settings.IsEmpty ? null : settings;
    }

    private static List<HeaderRule> BindDirection(MapReader parent, string key, TemplateCaptures captures)
    {
        var rules = new List<HeaderRule>();
        var m = parent.Section(key);
        if (m is null)
        {
            return rules;
        }

        foreach (var name in m.ScalarList("remove") ?? [])
        {
            if (Refusal(name.Value) is { } reason)
            {
                m.Errors.Add(name.Line, m.Child("remove"), reason);
                continue;
            }

            rules.Add(new HeaderRule(HeaderAction.Remove, name.Value, null));
        }

        BindValues(m, "set", HeaderAction.Set, captures, Refusal, rules);
        BindValues(m, "append", HeaderAction.Append, captures, Refusal, rules);
        m.Finish();
        return rules;
    }

    /// <summary>`set` or `append`: name → value template, each name judged by <paramref name="refusal"/>
    /// (header rules: a header name; a rewrite's query rules: a parameter name).</summary>
    internal static void BindValues(MapReader parent, string key, HeaderAction action, TemplateCaptures captures, Func<string, string?> refusal, List<HeaderRule> rules)
    {
        var m = parent.Section(key);
        if (m is null)
        {
            return;
        }

        foreach (var (nameNode, value) in m.Entries)
        {
            var name = nameNode.Value;
            var path = m.Child(name);
            m.Lines.Record(path, nameNode.Line);
            if (refusal(name) is { } reason)
            {
                m.Errors.Add(nameNode.Line, path, reason);
                continue;
            }

            if (value is not ScalarNode scalar)
            {
                m.Errors.Add(nameNode.Line, path, $"expected a value, found {value.Kind}");
                continue;
            }

            var template = TemplateParser.Parse(scalar.IsNull ? "" : scalar.Value, captures, out var error);
            if (template is null)
            {
                m.Errors.Add(scalar.Line > 0 ? scalar.Line : nameNode.Line, path, error!);
                continue;
            }

            rules.Add(new HeaderRule(action, name, template));
        }
    }

    private static string? Refusal(string name)
    {
        if (!RouteBinder.IsToken(name))
        {
            return $"'{name}' is not a header name";
        }

        return Managed.FirstOrDefault(m => m.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } managed
            ? $"'{managed}' is managed by Portico (message framing, the connection or routing); header rules cannot change it"
            : null;
    }
}
