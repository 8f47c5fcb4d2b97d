using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Cors;

/// <summary>The declaration of <see cref="CorsMiddleware"/>: a route with `cors` answers with fields that depend on Origin, on the full pipeline only.</summary>
internal sealed class CorsStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Cors))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Cors is null ? StageVerdict.NotApplied : StageVerdict.FullPipeline(HandOverReason.Cors);
}
