using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Headers;

/// <summary>
/// The declaration of the header rules (<see cref="HeaderRulesTransform"/>, <see cref="HeaderRulesMiddleware"/>):
/// they apply to a route with its own `headers` or under top-level ones, and only the full
/// pipeline runs them, on forwarded requests and on cache hits alike.
/// </summary>
internal sealed class HeaderRulesStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Headers))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Headers is null && settings.Headers is null ? StageVerdict.NotApplied : StageVerdict.FullPipeline(HandOverReason.HeaderRules);
}
