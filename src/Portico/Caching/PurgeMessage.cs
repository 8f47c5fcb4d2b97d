namespace Portico.Caching;

/// <summary>A purge as it is published to the other instances (JSON on `PREFIX cache:purge`).</summary>
/// <param name="Id">The purge's id, which each instance's acknowledgement names.</param>
/// <param name="From">The instance that purged Redis and sent it (it does not run it again).</param>
/// <param name="StaleFrom">A soft purge's instant, in UTC ticks: the same on every instance.</param>
/// <param name="Route">For an invalidation, the route whose `cache.key` rules make the URL's keys.</param>
internal sealed record PurgeMessage(string Id, string From, string What, string Target, string[] Tags, long? StaleFrom, string? Route = null);
