using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Caching;

namespace Portico.Admin;

/// <summary>
/// The cache's admin endpoints: what the store holds (the memory tier, and each tier apart), and purging one URL (all its variants)
/// or every URL under a prefix. URLs are written as clients request them, e.g.
/// `http://example.com/a?b=1`; scheme and host are matched without regard to case.
/// </summary>
internal static class CacheAdmin
{
    public static void Map(WebApplication app, IServiceProvider proxy)
    {
        var store = proxy.GetRequiredService<ICacheStore>();
        var log = proxy.GetRequiredService<CacheLog>();

        app.MapGet("/api/cache", () =>
        {
            var (entries, bytes) = store.Usage;
            var tiers = store.Tiers.ToDictionary(t => t.Tier, t => new { entries = t.Entries, bytes = t.Bytes });
            return Results.Json(new { entries, bytes, tiers });
        });

        app.MapPost("/api/cache/purge", async (string? url, string? prefix, CancellationToken ct) =>
        {
            if ((url is null) == (prefix is null))
            {
                return Results.BadRequest(new { error = "give exactly one of ?url=URL or ?prefix=URL" });
            }

            var what = url is null ? "prefix" : "url";
            if (CacheKey.Normalize((url ?? prefix)!) is not { } key)
            {
                return Results.BadRequest(new { error = $"'{url ?? prefix}' is not an absolute http:// or https:// URL" });
            }

            var purged = url is null ? await store.RemovePrefixAsync(key, ct) : await store.RemoveAsync(key, ct);
            log.Purged(purged, what, key);
            return Results.Json(new { purged });
        });
    }
}
