using Portico.Configuration.Model;

namespace Portico.Security.Waf;

/// <summary>
/// What makes two routes need different rule sets: routes with the same profile share one
/// parsed set (parsing the CRS takes a fraction of a second and several MiB). The mode is not
/// part of it: every set runs with the engine on, and `detect` forwards what `block` refuses.
/// </summary>
internal sealed record WafProfile(int Paranoia, int AnomalyThreshold, string Exclusions)
{
    public static WafProfile Of(RouteWafSettings route, WafSettings global) => new(
        route.Paranoia ?? global.Paranoia,
        route.AnomalyThreshold ?? global.AnomalyThreshold,
        string.Join(' ', route.ExcludeRules.Distinct().Order(StringComparer.Ordinal)));
}
