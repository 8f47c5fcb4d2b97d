namespace Portico.Caching;

/// <summary>One instance's part in a purge, as the admin API's answer lists it.</summary>
/// <param name="Confirmed">Whether it acknowledged the purge within `cache.shared.purgeWait` (always true for this instance).</param>
/// <param name="Purged">How many stored responses it removed or marked; null when it did not confirm.</param>
internal sealed record InstancePurge(string Id, bool Self, bool Confirmed, int? Purged);
