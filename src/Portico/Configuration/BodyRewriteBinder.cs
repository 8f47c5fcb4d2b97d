using System.Text.RegularExpressions;
using Portico.Configuration.Model;
using Portico.Configuration.Yaml;

namespace Portico.Configuration;

/// <summary>Binds a route's `bodyRewrite` section; every regex is compiled here, so a bad one is a config error with its line.</summary>
internal static class BodyRewriteBinder
{
    public static BodyRewriteSettings? Bind(MapReader route)
    {
        var m = route.Section("bodyRewrite");
        if (m is null)
        {
            return null;
        }

        var d = new BodyRewriteSettings { Rules = [] };
        var types = new List<string>();
        foreach (var type in m.StringList("mimeTypes") ?? d.MimeTypes)
        {
            var slash = type.IndexOf('/');
            if (slash <= 0 || slash == type.Length - 1 || type.Contains(' ') || type.Contains(';') || type.Contains('*'))
            {
                m.Error("mimeTypes", $"'{type}' is not a media type such as text/html (no patterns, no parameters)");
                continue;
            }

            types.Add(type.ToLowerInvariant());
        }

        var window = MaxMatchLength(m) ?? d.MaxMatchLength;
        var rules = BindRules(m);
        var requestIdentity = m.Bool("requestIdentity") ?? false;
        m.Finish();
        return rules is null ? null : new BodyRewriteSettings { MimeTypes = types, Rules = rules, MaxMatchLength = window, RequestIdentity = requestIdentity };
    }

    private static int? MaxMatchLength(MapReader m)
    {
        var text = m.String("maxMatchLength");
        if (text is null)
        {
            return null;
        }

        if (!ByteSize.TryParse(text, out var chars) || chars < 1 || chars > BodyRewriteSettings.MaxWindow)
        {
            m.Error("maxMatchLength", $"'{text}' is not a length from 1 to 64KiB characters (examples: 256, 1KiB)");
            return null;
        }

        return (int)chars;
    }

    private static List<BodyRewriteRule>? BindRules(MapReader m)
    {
        if (m.Node("rules") is not SequenceNode seq || seq.Items.Count == 0)
        {
            m.Error("rules", "required: a list of { find, replace } or { regex, replace }, e.g. [{ find: http://app.internal, replace: https://www.example.com }]");
            return null;
        }

        var rules = new List<BodyRewriteRule>();
        var errorsBefore = m.Errors.All.Count;
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var r = MapReader.For(seq.Items[i], $"{m.Child("rules")}[{i}]", m.Errors, m.Lines, seq.Items[i].Line);
            if (r is not null && BindRule(r) is { } rule)
            {
                rules.Add(rule);
            }
        }

        return m.Errors.All.Count > errorsBefore ? null : rules;
    }

    private static BodyRewriteRule? BindRule(MapReader r)
    {
        var find = r.String("find");
        var pattern = r.String("regex");
        var replace = r.String("replace");
        r.Finish();
        if (replace is null)
        {
            r.Error("replace", "required: the text put in place of each match (may be empty: replace: \"\")");
        }

        if ((find is null) == (pattern is null))
        {
            r.Error("", "give either find (exact text) or regex, not both and not neither");
            return null;
        }

        if (find is not null)
        {
            var problem = find.Length == 0 ? "empty: give the text to replace"
                : find.Length > BodyRewriteSettings.MaxWindow ? $"{find.Length} characters: at most 64KiB (65536), what a response may hold back between reads"
                : null;
            if (problem is not null)
            {
                r.Error("find", problem);
            }

            return replace is null || problem is not null ? null : new BodyRewriteRule { Find = find, Replace = replace };
        }

        var regex = Compile(r, pattern!);
        if (regex is not null && regex.Match("").Success)
        {
            r.Error("regex", $"'{pattern}' matches empty text; a rewrite rule must match at least one character");
            regex = null;
        }

        if (regex is not null && replace is not null && !ReplacementFits(r, regex, replace))
        {
            regex = null;
        }

        return regex is null || replace is null ? null : new BodyRewriteRule { Regex = regex, Replace = replace };
    }

    private static Regex? Compile(MapReader r, string pattern)
    {
        try
        {
            // Non-backtracking: each match costs time linear in the text, whatever the pattern,
            // so a response body (a backend's, not the operator's) cannot make a rule run away.
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (NotSupportedException e)
        {
            r.Error("regex", $"'{pattern}': {e.Message} (rules run on the non-backtracking engine, in time linear in the body)");
        }
        catch (ArgumentException e)
        {
            r.Error("regex", $"'{pattern}' is not a valid regular expression: {e.Message}");
        }

        return null;
    }

    /// <summary>
    /// Checks each `$` substitution of <paramref name="replace"/> against <paramref name="regex"/>'s
    /// groups. `` $` ``, `$'` and `$_` name text outside the match, which a streamed body does not
    /// hold, so they are refused rather than filled from the window.
    /// </summary>
    private static bool ReplacementFits(MapReader r, Regex regex, string replace)
    {
        var numbers = regex.GetGroupNumbers();
        for (var i = 0; i < replace.Length; i++)
        {
            if (replace[i] != '$' || i + 1 == replace.Length)
            {
                continue;
            }

            var next = replace[i + 1];
            string? problem = null;
            if (next is '$' or '&' or '+')
            {
                i++;
            }
            else if (next is '`' or '\'' or '_')
            {
                problem = $"'${next}' names text outside the match, which a streamed body does not keep";
            }
            else if (char.IsAsciiDigit(next))
            {
                var end = i + 1;
                while (end < replace.Length && char.IsAsciiDigit(replace[end]))
                {
                    end++;
                }

                var digits = replace[(i + 1)..end];
                if (!int.TryParse(digits, out var n) || !numbers.Contains(n))
                {
                    problem = $"'${digits}': the regex has no group {digits} (groups 0 to {numbers.Max()}; write ${{1}}0 for group 1 then a 0)";
                }

                i = end - 1;
            }
            else if (next == '{')
            {
                var close = replace.IndexOf('}', i + 2);
                var name = close < 0 ? "" : replace[(i + 2)..close];
                if (close < 0 || regex.GroupNumberFromName(name) < 0)
                {
                    problem = $"'{(close < 0 ? replace[i..] : replace[i..(close + 1)])}': the regex has no group of that name or number";
                }

                i = close < 0 ? replace.Length : close;
            }

            if (problem is not null)
            {
                r.Error("replace", problem);
                return false;
            }
        }

        return true;
    }
}
