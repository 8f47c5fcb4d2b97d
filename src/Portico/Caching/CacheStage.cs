using Portico.Configuration.Model;
using Portico.Pipeline;

namespace Portico.Caching;

/// <summary>
/// The declaration of <see cref="CacheMiddleware"/>: on a cached route the fast path answers
/// fresh hits as the cache stage does (its freshness with the route's `heuristic`); a miss, a
/// stale entry and what a cache must weigh go to the full pipeline, which also collapses misses.
/// </summary>
internal sealed class CacheStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } =
    [
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Cache)),
        SettingName.Of<RouteCacheSettings>(nameof(RouteCacheSettings.Heuristic)),
        SettingName.Of<RouteCacheSettings>(nameof(RouteCacheSettings.Collapse)),
        // Hits never carry Set-Cookie: a response with it is not stored, or stored without it.
        SettingName.Of<RouteCacheSettings>(nameof(RouteCacheSettings.StripSetCookie)),
    ];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Cache is null ? StageVerdict.NotApplied : StageVerdict.FreshHitsOnly;
}
