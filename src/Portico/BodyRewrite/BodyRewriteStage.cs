using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.BodyRewrite;

/// <summary>
/// The declaration of the body rewriting (<see cref="BodyRewriteResponseTransform"/>): it acts on
/// forwarded responses, on the full pipeline only. The cache, outside it, stores the rewritten
/// body, so a cached route's fresh hits may still take the fast path.
/// </summary>
internal sealed class BodyRewriteStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.BodyRewrite))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.BodyRewrite is null ? StageVerdict.NotApplied : StageVerdict.FullPipelineWhenForwarding(HandOverReason.BodyRewrite);
}
