using Portico.Headers;

namespace Portico.Configuration.Model;

/// <summary>
/// A `headers` section, top level (defaults for every route) or a route's: each direction's rules
/// in the order they run, every `remove`, then every `set`, then every `append`.
/// </summary>
internal sealed record HeaderRulesSettings
{
    /// <summary>`request`: rules on the request toward the backend. Default: none.</summary>
    public IReadOnlyList<HeaderRule> Request { get; init; } = [];

    /// <summary>`response`: rules on every response toward the client, Portico's own answers included. Default: none.</summary>
    public IReadOnlyList<HeaderRule> Response { get; init; } = [];

    public bool IsEmpty => Request.Count == 0 && Response.Count == 0;
}
