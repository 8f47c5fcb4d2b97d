using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Mirroring;

/// <summary>
/// The declaration of <see cref="MirrorMiddleware"/>: copying is the full pipeline's, on the
/// requests it forwards (a fresh cache hit, which the fast path may answer, is not copied there either).
/// </summary>
internal sealed class MirrorStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Mirror))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Mirror is not { Percent: > 0 } ? StageVerdict.NotApplied : StageVerdict.FullPipelineWhenForwarding(HandOverReason.Mirror);
}
