using Portico.Configuration.Model;

namespace Portico.Security.Waf;

/// <summary>How one route is inspected: its mode, its shared rule set, how much of a body the engine sees, and what a longer body gets.</summary>
internal sealed record RouteWaf(WafMode Mode, WafRuleSet Rules, long BodyLimit, WafBodyLimitAction LimitAction);
