using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Routing;

/// <summary>The declaration of <see cref="RedirectMiddleware"/>: a route with `redirects` or `normalize` answers some requests itself, on the full pipeline only.</summary>
internal sealed class RedirectStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } =
    [
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Redirects)),
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Normalize)),
    ];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Redirects.Count == 0 && route.Normalize is null ? StageVerdict.NotApplied : StageVerdict.FullPipeline(HandOverReason.Redirect);
}
