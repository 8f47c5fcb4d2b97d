using System.Text.RegularExpressions;

namespace Portico.Configuration.Model;

/// <summary>One `bodyRewrite.rules` item: a literal (`find`) or a regular expression (`regex`) and what replaces each match.</summary>
internal sealed record BodyRewriteRule
{
    /// <summary>`find`: the exact text (ordinal, case-sensitive) to replace; null for a regex rule.</summary>
    public string? Find { get; init; }

    /// <summary>`regex`: the .NET regular expression, run without backtracking (linear time); null for a literal rule.</summary>
    public Regex? Regex { get; init; }

    /// <summary>`replace`: the text put in place of a match; in a regex rule `$1`, `${name}`, `$&amp;` and `$$` are substituted.</summary>
    public required string Replace { get; init; }
}
