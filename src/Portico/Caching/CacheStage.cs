using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Caching;

/// <summary>
/// The declaration of <see cref="CacheMiddleware"/>: on a cached route the fast path answers
/// fresh hits as the cache stage does (its freshness with the route's `heuristic`) and forwards
/// plain misses as it does (<see cref="ForwardedResponses"/>: the same storability, Cache-Status,
/// tags and store; collapsed as leader or follower, a follower answered from the leader's
/// response), when every stage that acts on forwarded
/// requests is honoured too. A stale entry, a revalidation and what a cache must weigh in the
/// request go to the full pipeline. Misses stay there, and only fresh hits take the fast path,
/// where the fast path could not do the miss whole: a disk tier (the full path streams bodies
/// into its files), and a route that collapses misses under a route `timeout` (on the full path
/// it spans a follower's wait, which the fast path's route deadline does not). A route with
/// `cache.key` goes to the full pipeline: the fast path keys on the target as sent.
/// </summary>
internal sealed class CacheStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } =
    [
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Cache)),
        SettingName.Of<RouteCacheSettings>(nameof(RouteCacheSettings.Heuristic)),
        SettingName.Of<RouteCacheSettings>(nameof(RouteCacheSettings.Collapse)),
        // Hits never carry Set-Cookie: a response with it is not stored, or stored without it;
        // a miss applies the setting through the same StoredResponses.Head as the full path.
        SettingName.Of<RouteCacheSettings>(nameof(RouteCacheSettings.StripSetCookie)),
        SettingName.Of<RouteCacheSettings>(nameof(RouteCacheSettings.Key)),
    ];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Cache switch
        {
            null => StageVerdict.NotApplied,
            { Key: not null } => StageVerdict.FullPipeline(HandOverReason.CacheKey),
            _ when settings.Cache.Disk is not null => StageVerdict.FreshHitsOnly,
            { Collapse: true } when route.Timeout is not null => StageVerdict.FreshHitsOnly,
            _ => StageVerdict.HitsAndMisses,
        };
}
