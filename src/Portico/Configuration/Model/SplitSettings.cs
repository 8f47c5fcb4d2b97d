using Portico.LoadBalancing;

namespace Portico.Configuration.Model;

/// <summary>
/// A route's `split`: shares of its clients go to other clusters (A/B tests, canaries). Each
/// client's sticky key hashes to a point in [0, 1); the arms own consecutive slices of that
/// interval in config order, sized by weight, so a reload that changes weights moves only the
/// clients whose points change owner.
/// </summary>
internal sealed record SplitSettings
{
    /// <summary>`arms`: the clusters and their weights, in order. At least one, weights summing above 0.</summary>
    public required IReadOnlyList<SplitArm> Arms { get; init; }

    /// <summary>
    /// `sticky`: what keeps a client on its arm: `cookie` (Portico's own cookie holding a random
    /// client id, set on the first response), `client-ip`, `header:NAME` or `cookie:NAME` (a
    /// cookie the site already sets). A request without the header or cookie is keyed by its client
    /// address. Default `cookie`; null here.
    /// </summary>
    public HashKeySpec? Sticky { get; init; }

    /// <summary>`cookie`: the name of Portico's cookie with `sticky: cookie`. Default "portico_split".</summary>
    public string Cookie { get; init; } = "portico_split";

    /// <summary>`force.header`: a request header naming an arm's cluster sends the request there. Default: none.</summary>
    public string? ForceHeader { get; init; }

    /// <summary>`force.cookie`: a cookie naming an arm's cluster sends the request there. Default: none.</summary>
    public string? ForceCookie { get; init; }

    /// <summary>The upper end of each arm's slice of [0, 1), computed at load.</summary>
    public required IReadOnlyList<double> Bounds { get; init; }
}
