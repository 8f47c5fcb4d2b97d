namespace Portico.Configuration.Model;

/// <summary>The top-level `cache` section: the one store every cached route shares.</summary>
internal sealed record CacheSettings
{
    /// <summary>`maxSize`: bytes the store may hold (bodies and headers); least recently used entries go first. Default 256MiB.</summary>
    public long MaxSizeBytes { get; init; } = 256L << 20;

    /// <summary>`maxObjectSize`: largest body stored; larger responses stream through uncached. Default 8MiB (or maxSize, if smaller).</summary>
    public long MaxObjectSizeBytes { get; init; } = 8L << 20;

    /// <summary>`collapseTimeout`: how long a request waits for the response headers of an identical request already on its way to the origin before going itself. Default 10s.</summary>
    public TimeSpan CollapseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// `targetedField`: a response field that targets Portico's cache (RFC 9213), ahead of
    /// CDN-Cache-Control, which Portico always obeys. The first of them present and valid sets
    /// aside Cache-Control and Expires for this cache. Default none.
    /// </summary>
    public string? TargetedField { get; init; }

    /// <summary>`disk`: a disk tier behind the memory tier; none by default.</summary>
    public DiskCacheSettings? Disk { get; init; }

    /// <summary>`shared`: the shared tier in Redis (with a top-level `redis` section); on by default there.</summary>
    public SharedCacheSettings Shared { get; init; } = new();

    /// <summary>
    /// `tagField`: the response field by which a backend tags what it sends, for purging by tag;
    /// Portico reads it and never sends it on. Default `Cache-Tag`.
    /// </summary>
    public string TagField { get; init; } = "Cache-Tag";
}

/// <summary>A route's `cache` section: the route is served through the RFC 9111 shared cache.</summary>
internal sealed record RouteCacheSettings
{
    /// <summary>`heuristic`: give responses without explicit freshness a lifetime of 10% of their Last-Modified age (max 1 day), as RFC 9111 §4.2.2 permits. Default true.</summary>
    public bool Heuristic { get; init; } = true;

    /// <summary>`collapse`: concurrent misses for one key make one origin request. Default true.</summary>
    public bool Collapse { get; init; } = true;

    /// <summary>
    /// `setCookie: strip` (true): a response with Set-Cookie is stored without those fields (its own
    /// client still gets them); `uncached` (false), the default, keeps such responses out of the store.
    /// </summary>
    public bool StripSetCookie { get; init; }
    /// <summary>`key`: query parameters, request fields, cookies and the device class that make the key. Default: the target URI as sent.</summary>
    public CacheKeySettings? Key { get; init; }
}
