using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Caching;

/// <summary>
/// One purge as the admin API takes it and as it travels to the other instances: a URL (every
/// variant, and on routes with `cache.key` every key of it), every key under a prefix, or every
/// response with one of some tags (removed, or with <see cref="StaleFrom"/> marked stale); or
/// the invalidation of a URL by an unsafe request on a route (RFC 9111 §4.4), every key of it
/// under that route's `cache.key` rules.
/// </summary>
/// <param name="What">url, prefix, tag or invalidate.</param>
/// <param name="Target">The normalized URL or prefix; the tags joined by spaces for a tag purge.</param>
/// <param name="Route">The route whose unsafe request invalidated <paramref name="Target"/> (invalidate only).</param>
internal sealed record CachePurge(string What, string Target, IReadOnlyList<string> Tags, DateTimeOffset? StaleFrom, string? Route = null)
{
    /// <summary>The kind the purge metrics count it under: url, prefix, tag or soft_tag.</summary>
    public string Kind => What == "tag" && StaleFrom is not null ? "soft_tag" : What;

    /// <summary>Runs the purge on <paramref name="store"/>; how many stored responses it removed or marked.</summary>
    public async Task<int> RunAsync(ICacheStore store, ActiveConfig config, CancellationToken ct) => What switch
    {
        "tag" => await store.PurgeTagsAsync(Tags, StaleFrom, ct),
        "prefix" => await store.RemovePrefixAsync(Target, ct),
        "invalidate" => await CacheKeyRules.RemoveAsync(store, Target, config.Current.Settings.Routes.FirstOrDefault(r => r.Id == Route)?.Cache?.Key, ct),
        _ => await RemoveUrlAsync(store, config, ct),
    };

    // The URL as it is, and as each route's `cache.key` rules see it: whichever route stored it,
    // its key is among these (a route's rules are not known from a URL alone).
    private async Task<int> RemoveUrlAsync(ICacheStore store, ActiveConfig config, CancellationToken ct)
    {
        var purged = await store.RemoveAsync(Target, ct);
        foreach (var rules in config.Current.Settings.Routes.Select(r => r.Cache?.Key).OfType<CacheKeySettings>().Distinct())
        {
            purged += await CacheKeyRules.RemoveAsync(store, Target, rules, ct);
        }

        return purged;
    }
}
