using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Caching;

/// <summary>
/// The declaration of <see cref="CacheMiddleware"/>: on a cached route the fast path answers
/// fresh hits as the cache stage does (its freshness with the route's `heuristic`); a miss, a
/// stale entry and what a cache must weigh go to the full pipeline, which also collapses misses.
/// A route with `cache.key` goes to the full pipeline: the fast path keys on the target as sent.
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
        SettingName.Of<RouteCacheSettings>(nameof(RouteCacheSettings.Key)),
    ];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Cache switch
        {
            null => StageVerdict.NotApplied,
            { Key: not null } => StageVerdict.FullPipeline(HandOverReason.CacheKey),
            _ => StageVerdict.FreshHitsOnly,
        };
}
