using Portico.Configuration.Model;
using Portico.Pipeline;

namespace Portico.RateLimiting;

/// <summary>
/// The declaration of the rate-limiting stage: the fast path honours a route's `rateLimit` (its
/// FastRateLimit counts with the same store and key, sets the same fields and answers the same
/// 429). A `claim` key reads the user authentication gives, and a route with `auth` never takes
/// the fast path, so there it is the client address on both paths.
/// </summary>
internal sealed class RateLimitStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.RateLimit))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.RateLimit is null ? StageVerdict.NotApplied : StageVerdict.Honoured;
}
