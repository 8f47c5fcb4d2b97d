namespace Portico.Configuration.Model;

/// <summary>
/// A route's `auth.identityHeaders`: which request headers carry the caller's identity to the
/// backend. Copies a client sends of these names are removed on every route.
/// </summary>
internal sealed record IdentityHeaderSettings
{
    /// <summary>`user`: the authenticated name. Default X-Auth-User; `off` sends none.</summary>
    public string? User { get; init; } = "X-Auth-User";

    /// <summary>`scheme`: the scheme that authenticated. Default X-Auth-Scheme; `off` sends none.</summary>
    public string? Scheme { get; init; } = "X-Auth-Scheme";

    /// <summary>`claims`: header name → claim type; several claims of a type are joined with ", ". Default: none.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Claims { get; init; } = [];

    /// <summary>Every header name this route writes.</summary>
    public IEnumerable<string> Names()
    {
        if (User is not null)
        {
            yield return User;
        }

        if (Scheme is not null)
        {
            yield return Scheme;
        }

        foreach (var (header, _) in Claims)
        {
            yield return header;
        }
    }
}
