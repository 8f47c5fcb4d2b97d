using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.RateLimiting;

/// <summary>The declaration of the rate-limiting stage: a route's `rateLimit` is counted on the full pipeline only.</summary>
internal sealed class RateLimitStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.RateLimit))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.RateLimit is null ? StageVerdict.NotApplied : StageVerdict.FullPipeline(HandOverReason.RateLimit);
}
