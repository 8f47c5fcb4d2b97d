using System.Text.RegularExpressions;
using Portico.Headers;

namespace Portico.Configuration.Model;

/// <summary>A route's `rewrite` section: the request target and Host the backend gets in place of the client's.</summary>
internal sealed record RewriteSettings
{
    /// <summary>`pathPrefix`: what replaces the route's `match.pathPrefix` (`/` strips it). Not with <see cref="Path"/>.</summary>
    public string? PathPrefix { get; init; }

    /// <summary>`pathRegex`: the path is rewritten only when it matches; its groups are `{re.…}` in <see cref="Path"/>.</summary>
    public Regex? PathRegex { get; init; }

    /// <summary>`path`: the new path, with variables and captures.</summary>
    public ValueTemplate? Path { get; init; }

    /// <summary>`query`: query parameters removed, set and appended, in that order.</summary>
    public IReadOnlyList<HeaderRule> Query { get; init; } = [];

    /// <summary>`host`: the `Host` the backend gets (in place of what `preserveHost` says).</summary>
    public ValueTemplate? Host { get; init; }

    /// <summary>Whether the path changes, so `Location` and `Set-Cookie` paths are turned back on the way out.</summary>
    public bool RewritesPath => PathPrefix is not null || Path is not null;
}
