using Portico.Configuration.Model;

namespace Portico.Security.Waf;

/// <summary>How one route is inspected: its mode, its shared rule set, and how much of a body the engine sees.</summary>
internal sealed record RouteWaf(WafMode Mode, WafRuleSet Rules, long BodyLimit);
