using System.Text.RegularExpressions;

namespace Portico.Security.Waf;

/// <summary>One rule that matched: its id, message, the data it matched on, and severity (0 emergency … 7 debug).</summary>
internal sealed record WafMatch(string Id, string Message, string? Data, int? Severity);

/// <summary>
/// The rules one request matched, read from the library's log lines, which carry each field as
/// <c>[name "value"]</c> (quotes inside a value are escaped with a backslash).
/// </summary>
internal sealed partial class WafMatches
{
    private readonly List<WafMatch> _matches = [];

    public IReadOnlyList<WafMatch> All => _matches;

    public void Add(string line)
    {
        var id = Field(line, "id");
        if (id is null)
        {
            return;
        }

        var severity = int.TryParse(Field(line, "severity"), out var s) ? s : (int?)null;
        _matches.Add(new WafMatch(id, Field(line, "msg") ?? "", Field(line, "data"), severity));
    }

    /// <summary>The first <c>[name "value"]</c> of the line, unescaped.</summary>
    internal static string? Field(string line, string name)
    {
        var match = FieldPattern().Match(line);
        while (match.Success)
        {
            if (match.Groups["name"].ValueSpan.SequenceEqual(name))
            {
                return Unescape().Replace(match.Groups["value"].Value, "$1");
            }

            match = match.NextMatch();
        }

        return null;
    }

    [GeneratedRegex("""\[(?<name>[a-z_]+) "(?<value>(?:[^"\\]|\\.)*)"\]""", RegexOptions.CultureInvariant)]
    private static partial Regex FieldPattern();

    [GeneratedRegex("""\\(.)""", RegexOptions.CultureInvariant)]
    private static partial Regex Unescape();
}
