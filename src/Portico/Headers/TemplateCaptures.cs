using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing.Patterns;
using Portico.Configuration.Model;

namespace Portico.Headers;

/// <summary>
/// The captures a route's match offers to its templates: the parameters of its `match.path`
/// template and the groups of its `match.pathRegex`. <see cref="None"/> for the top-level
/// defaults, which belong to no route.
/// </summary>
internal sealed class TemplateCaptures
{
    public static readonly TemplateCaptures None = new([], null, "match.pathRegex");

    private TemplateCaptures(IReadOnlyList<string> parameters, Regex? regex, string regexKey)
    {
        Parameters = parameters;
        Regex = regex;
        RegexKey = regexKey;
    }

    /// <summary>The names of the route template's parameters (`/users/{id}` → id).</summary>
    public IReadOnlyList<string> Parameters { get; }

    public Regex? Regex { get; }

    /// <summary>The key that gave <see cref="Regex"/>, for error messages (`match.pathRegex`, or a rule's own `pathRegex`).</summary>
    public string RegexKey { get; }

    /// <summary>Whether these captures belong to a route (the top-level defaults have none).</summary>
    public bool OfRoute => !ReferenceEquals(this, None);

    public static TemplateCaptures Of(RouteMatchSettings match)
    {
        var parameters = new List<string>();
        if (match.Path is { } path)
        {
            try
            {
                parameters.AddRange(RoutePatternFactory.Parse(path).Parameters.Select(p => p.Name));
            }
            catch (RoutePatternException)
            {
                // A broken template is reported where routes are translated; it offers no captures.
            }
        }

        return new TemplateCaptures(parameters, match.PathRegex, "match.pathRegex");
    }

    /// <summary>
    /// The captures of a rule with its own regular expression (a redirect's or a rewrite's
    /// `pathRegex`, under <paramref name="key"/>): `{re.…}` then names its groups, not the
    /// route's; `{path.…}` still names the route template's parameters.
    /// </summary>
    public TemplateCaptures WithRegex(Regex? regex, string key)
        => regex is null ? this : new TemplateCaptures(Parameters, regex, key);
}
