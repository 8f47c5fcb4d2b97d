namespace Portico.Caching;

/// <summary>The names of the store's tiers, as the `tier` label of the cache metrics and the admin API give them.</summary>
internal static class CacheTiers
{
    public const string Memory = "memory";
    public const string Disk = "disk";
    public const string Shared = "shared";
}
