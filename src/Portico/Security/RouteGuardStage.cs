using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Security;

/// <summary>The declaration of <see cref="RouteGuardMiddleware"/>: a route's own `limits` and `ipRules` are checked on the full pipeline only.</summary>
internal sealed class RouteGuardStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } =
    [
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Limits)),
        SettingName.Of<RouteSettings>(nameof(RouteSettings.IpRules)),
    ];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Limits is null && route.IpRules is null ? StageVerdict.NotApplied : StageVerdict.FullPipeline(HandOverReason.RouteGuard);
}
