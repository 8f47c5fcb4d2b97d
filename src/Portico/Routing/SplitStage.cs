using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Routing;

/// <summary>The declaration of <see cref="SplitMiddleware"/>: choosing the arm, and its cookie, are the full pipeline's.</summary>
internal sealed class SplitStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Split))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Split is null ? StageVerdict.NotApplied : StageVerdict.FullPipeline(HandOverReason.Split);
}
