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
    public static readonly TemplateCaptures None = new([], null);

    private TemplateCaptures(IReadOnlyList<string> parameters, Regex? regex)
    {
        Parameters = parameters;
        Regex = regex;
    }

    /// <summary>The names of the route template's parameters (`/users/{id}` → id).</summary>
    public IReadOnlyList<string> Parameters { get; }

    public Regex? Regex { get; }

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

        return new TemplateCaptures(parameters, match.PathRegex);
    }
}
