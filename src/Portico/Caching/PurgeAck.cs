namespace Portico.Caching;

/// <summary>An instance's acknowledgement of a purge (JSON on `PREFIX cache:purge-ack`): it has purged its own tiers.</summary>
/// <param name="Purged">How many stored responses it removed or marked.</param>
internal sealed record PurgeAck(string Id, string Instance, int Purged);
