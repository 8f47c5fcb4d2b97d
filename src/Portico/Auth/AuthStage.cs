using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Auth;

/// <summary>The declaration of <see cref="AuthMiddleware"/>: a route with `auth` is authenticated on the full pipeline only (the fast path has no auth stage: fail closed).</summary>
internal sealed class AuthStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Auth))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Auth is null ? StageVerdict.NotApplied : StageVerdict.FullPipeline(HandOverReason.Auth);
}
