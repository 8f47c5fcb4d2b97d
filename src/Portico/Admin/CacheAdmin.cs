using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Portico.Caching;
using Portico.Configuration;
using Portico.Observability;

namespace Portico.Admin;

/// <summary>
/// The cache's admin endpoints: what the store holds (the memory tier, and each tier apart), and purging one URL (all its variants and,
/// on routes with `cache.key`, all its keys), every URL under a prefix, or every response with
/// a tag (removed, or with `soft=true` marked stale); with a shared tier a purge reaches every
/// instance and the answer says which confirmed it (<see cref="CachePurger"/>). URLs are written as clients request them,
/// e.g. `http://example.com/a?b=1`; scheme and host are matched without regard to case.
/// </summary>
internal static class CacheAdmin
{
    public static void Map(WebApplication app, IServiceProvider proxy)
    {
        var store = proxy.GetRequiredService<ICacheStore>();
        var purger = proxy.GetRequiredService<CachePurger>();
        var log = proxy.GetRequiredService<CacheLog>();
        var metrics = proxy.GetRequiredService<CacheMetrics>();
        var time = proxy.GetRequiredService<TimeProvider>();
        var stats = proxy.GetRequiredService<TrafficStats>();

        app.MapGet("/api/cache", (int? top) => Results.Json(Panel(store, metrics, stats, Math.Clamp(top ?? 10, 0, CacheTopUrls.Capacity))));

        app.MapPost("/api/cache/purge", async (string? url, string? prefix, [FromQuery] string[]? tag, bool? soft, CancellationToken ct) =>
        {
            // An absent ?tag binds as an empty array.
            var byTag = tag is { Length: > 0 };
            var tags = CacheTags.Split(tag ?? []);
            if ((url is null ? 0 : 1) + (prefix is null ? 0 : 1) + (byTag ? 1 : 0) != 1)
            {
                return Results.BadRequest(new { error = "give exactly one of ?url=URL, ?prefix=URL or ?tag=TAG (tag may repeat)" });
            }

            if (byTag)
            {
                if (tags.Length == 0)
                {
                    return Results.BadRequest(new { error = "?tag= names no tag" });
                }

                var staleFrom = soft == true ? time.GetUtcNow() : (DateTimeOffset?)null;
                var purge = new CachePurge("tag", string.Join(' ', tags), tags, staleFrom);
                var (count, instances) = await purger.PurgeAsync(purge, ct);
                metrics.Purged(purge.Kind, count);
                log.TagsPurged(soft == true ? "soft" : "hard", purge.Target, count);
                return Answer(count, instances);
            }

            if (soft is not null)
            {
                return Results.BadRequest(new { error = "soft applies to ?tag= purges; a url or prefix purge removes" });
            }

            var what = url is null ? "prefix" : "url";
            if (CacheKey.Normalize((url ?? prefix)!) is not { } key)
            {
                return Results.BadRequest(new { error = $"'{url ?? prefix}' is not an absolute http:// or https:// URL" });
            }

            var (purged, everywhere) = await purger.PurgeAsync(new CachePurge(what, key, [], null), ct);
            metrics.Purged(what, purged);
            log.Purged(purged, what, key);
            return Answer(purged, everywhere);
        });
    }

    // As before without a shared tier; with one, each live instance's part too.
    private static IResult Answer(int purged, IReadOnlyList<InstancePurge>? instances)
        => instances is null
            ? Results.Json(new { purged })
            : Results.Json(new { purged, instances = instances.Select(i => new { id = i.Id, self = i.Self, confirmed = i.Confirmed, purged = i.Purged }) });

    /// <summary>
    /// The cache panel: what the store holds (memory tier, then each tier), the outcomes of every
    /// cached route together (hit ratio, bytes served from the store) and the <paramref name="top"/>
    /// URLs served most from it.
    /// </summary>
    public static object Panel(ICacheStore store, CacheMetrics metrics, TrafficStats stats, int top)
    {
        var (entries, bytes) = store.Usage;
        return new
        {
            entries,
            bytes,
            tiers = store.Tiers.ToDictionary(t => t.Tier, t => new { entries = t.Entries, bytes = t.Bytes }),
            outcomes = CacheCounts.Sum(stats.Routes.Values.Select(r => r.Cache)),
            topUrls = metrics.TopUrls.Top(top).Select(u => new { url = u.Url, hits = u.Hits }),
        };
    }
}
