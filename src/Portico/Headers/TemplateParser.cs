using System.Text;

namespace Portico.Headers;

/// <summary>
/// Parses a header value with `{variables}` into a <see cref="ValueTemplate"/> at config load, so
/// an unknown variable or a capture the route cannot give is a config error, not an empty header.
/// `{{` and `}}` are literal braces.
/// </summary>
internal static class TemplateParser
{
    private static readonly Dictionary<string, TemplateVariable> Plain = new(StringComparer.Ordinal)
    {
        ["client_ip"] = TemplateVariable.ClientIp,
        ["request_id"] = TemplateVariable.RequestId,
        ["route"] = TemplateVariable.Route,
        ["cluster"] = TemplateVariable.Cluster,
        ["host"] = TemplateVariable.Host,
        ["scheme"] = TemplateVariable.Scheme,
        ["method"] = TemplateVariable.Method,
        ["path"] = TemplateVariable.Path,
        ["query"] = TemplateVariable.Query,
        ["time_rfc1123"] = TemplateVariable.TimeRfc1123,
        ["time_unix"] = TemplateVariable.TimeUnix,
        ["time_iso8601"] = TemplateVariable.TimeIso8601,
    };

    // What an error or maintenance page may say of the request: what Portico knows when it answers
    // for itself on either path, and nothing the client wrote but its request id.
    private static readonly Dictionary<string, TemplateVariable> Page = new(StringComparer.Ordinal)
    {
        ["status"] = TemplateVariable.Status,
        ["reason"] = TemplateVariable.Reason,
        ["request_id"] = TemplateVariable.RequestId,
        ["route"] = TemplateVariable.Route,
        ["client_ip"] = TemplateVariable.ClientIp,
        ["time_rfc1123"] = TemplateVariable.TimeRfc1123,
        ["time_unix"] = TemplateVariable.TimeUnix,
        ["time_iso8601"] = TemplateVariable.TimeIso8601,
    };

    /// <summary>Every variable name, for error messages and the docs.</summary>
    public static readonly string Known = string.Join(", ", Plain.Keys.Append("path.NAME").Append("re.N").Append("re.NAME"));

    /// <summary>Every variable a page may use, for error messages and the docs.</summary>
    public static readonly string KnownInPages = string.Join(", ", Page.Keys);

    /// <summary>The template as it was written in the config (`/articles/{re.slug}`), for the admin API's view of the running config.</summary>
    public static string Format(ValueTemplate template)
    {
        var text = new StringBuilder();
        foreach (var part in template.Parts)
        {
            text.Append(part.Variable switch
            {
                TemplateVariable.Literal => part.Text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal),
                TemplateVariable.PathValue => $"{{path.{part.Text}}}",
                TemplateVariable.RegexGroup => part.Group >= 0 ? $"{{re.{part.Group}}}" : $"{{re.{part.Text}}}",
                var variable => $"{{{Plain.Concat(Page).First(p => p.Value == variable).Key}}}",
            });
        }

        return text.ToString();
    }

    /// <summary>The template, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static ValueTemplate? Parse(string text, TemplateCaptures captures, out string? error) => Parse(text, captures, page: false, out error);

    /// <summary>A page body's template: any text (it is a body, not a field value) with the page variables.</summary>
    public static ValueTemplate? ParsePage(string text, out string? error) => Parse(text, TemplateCaptures.None, page: true, out error);

    private static ValueTemplate? Parse(string text, TemplateCaptures captures, bool page, out string? error)
    {
        error = null;
        var parts = new List<TemplatePart>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '{' or '}' && i + 1 < text.Length && text[i + 1] == c)
            {
                literal.Append(c);
                i++;
                continue;
            }

            if (c == '}')
            {
                error = "'}' has no '{'; write '}}' for a literal brace";
                return null;
            }

            if (c != '{')
            {
                if (!page && c is < ' ' and not '\t' or >= (char)0x7F)
                {
                    error = $"'{(c < ' ' ? $"\\u{(int)c:x4}" : c.ToString())}' is not allowed: a header value is visible ASCII text, spaces and tabs";
                    return null;
                }

                literal.Append(c);
                continue;
            }

            var end = text.IndexOf('}', i + 1);
            if (end < 0)
            {
                error = "'{' is not closed; write '{{' for a literal brace";
                return null;
            }

            var name = text[(i + 1)..end];
            var part = page ? PageVariable(name, out error) : Variable(name, captures, out error);
            if (part is null)
            {
                return null;
            }

            if (literal.Length > 0)
            {
                parts.Add(new TemplatePart(TemplateVariable.Literal, literal.ToString()));
                literal.Clear();
            }

            parts.Add(part.Value);
            i = end;
        }

        if (literal.Length > 0 || parts.Count == 0)
        {
            parts.Add(new TemplatePart(TemplateVariable.Literal, literal.ToString()));
        }

        return new ValueTemplate(parts);
    }

    private static TemplatePart? PageVariable(string name, out string? error)
    {
        error = Page.TryGetValue(name, out var variable) ? null : $"unknown variable '{{{name}}}' in a page; known: {KnownInPages}";
        return error is null ? new TemplatePart(variable) : null;
    }

    private static TemplatePart? Variable(string name, TemplateCaptures captures, out string? error)
    {
        error = null;
        if (Plain.TryGetValue(name, out var variable))
        {
            return new TemplatePart(variable);
        }

        if (name.StartsWith("path.", StringComparison.Ordinal) || name.StartsWith("re.", StringComparison.Ordinal))
        {
            if (!captures.OfRoute)
            {
                error = $"'{{{name}}}' is a capture of a route's match; the top-level headers belong to no route";
                return null;
            }

            return name.StartsWith("path.", StringComparison.Ordinal) ? PathValue(name, captures, out error) : RegexGroup(name, captures, out error);
        }

        error = $"unknown variable '{{{name}}}'; known: {Known}";
        return null;
    }

    private static TemplatePart? PathValue(string name, TemplateCaptures captures, out string? error)
    {
        error = null;
        var parameter = name["path.".Length..];
        if (captures.Parameters.Contains(parameter, StringComparer.OrdinalIgnoreCase))
        {
            return new TemplatePart(TemplateVariable.PathValue, parameter);
        }

        error = captures.Parameters.Count == 0
            ? $"'{{{name}}}' needs a match.path template with the parameter '{parameter}'; this route has none"
            : $"'{{{name}}}': match.path has no parameter '{parameter}' (it has: {string.Join(", ", captures.Parameters)})";
        return null;
    }

    private static TemplatePart? RegexGroup(string name, TemplateCaptures captures, out string? error)
    {
        error = null;
        var group = name["re.".Length..];
        if (captures.Regex is not { } regex)
        {
            error = $"'{{{name}}}' needs {captures.RegexKey}; this route has none";
            return null;
        }

        var highest = regex.GetGroupNumbers().Max();
        if (int.TryParse(group, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            if (number <= highest)
            {
                return new TemplatePart(TemplateVariable.RegexGroup, Group: number);
            }

            error = $"'{{{name}}}' is out of range: {captures.RegexKey} has {highest} group(s)";
            return null;
        }

        if (regex.GetGroupNames().Contains(group, StringComparer.Ordinal))
        {
            return new TemplatePart(TemplateVariable.RegexGroup, group);
        }

        error = $"'{{{name}}}': {captures.RegexKey} has no group named '{group}'";
        return null;
    }
}
