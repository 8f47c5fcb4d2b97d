using System.Collections.Frozen;

namespace Portico.Security.Waf;

/// <summary>The WAF state of one config: each inspected route's mode and parsed rule set. Retired (and its sets freed once idle) when a newer config serves.</summary>
internal sealed class WafRuntime(FrozenDictionary<string, RouteWaf> routes, IReadOnlyList<WafRuleSet> ruleSets) : IDisposable
{
    public RouteWaf? Route(string routeId) => routes.GetValueOrDefault(routeId);

    public int RuleSetCount => ruleSets.Count;

    public void Dispose()
    {
        foreach (var set in ruleSets)
        {
            set.Dispose();
        }
    }
}
