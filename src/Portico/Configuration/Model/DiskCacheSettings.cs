namespace Portico.Configuration.Model;

/// <summary>
/// The `cache.disk` section: the store's disk tier, behind the memory tier. Read at start;
/// changing it needs a restart (the tier's directory is indexed once, when it opens).
/// </summary>
internal sealed record DiskCacheSettings
{
    /// <summary>`dir`: the tier's directory, created when missing; relative to the config file's folder.</summary>
    public required string Directory { get; init; }

    /// <summary>`maxSize`: bytes of files the tier may hold; least recently used URLs go first. Default 10GiB, at least 1MiB.</summary>
    public long MaxSizeBytes { get; init; } = 10L << 30;

    /// <summary>`maxObjectSize`: largest body the tier stores. Default 1GiB (or maxSize, if smaller).</summary>
    public long MaxObjectSizeBytes { get; init; } = 1L << 30;
}
