using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Security.Waf;

/// <summary>The declaration of <see cref="WafMiddleware"/>: a route the WAF inspects (block or detect) is inspected on the full pipeline only.</summary>
internal sealed class WafStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Waf))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Waf.Mode == WafMode.Off ? StageVerdict.NotApplied : StageVerdict.FullPipeline(HandOverReason.Waf);
}
