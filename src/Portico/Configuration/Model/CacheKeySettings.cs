namespace Portico.Configuration.Model;

/// <summary>
/// A route's `cache.key`: what of the request makes its primary cache key beyond the target URI
/// (RFC 9111 §4 lets a cache key on more than the URI; it must then send the same key for
/// requests it treats as equivalent).
/// </summary>
internal sealed record CacheKeySettings
{
    /// <summary>`query.include`: only these query parameters count (by decoded name). Null: all but <see cref="QueryIgnore"/>.</summary>
    public IReadOnlyList<string>? QueryInclude { get; init; }

    /// <summary>`query.ignore`: these query parameters do not count (by decoded name). Default none.</summary>
    public IReadOnlyList<string> QueryIgnore { get; init; } = [];

    /// <summary>`query.sort`: parameters count in name order, so `?b=1&amp;a=2` and `?a=2&amp;b=1` share an entry. Default false.</summary>
    public bool SortQuery { get; init; }

    /// <summary>`headers`: request fields whose values are part of the key. Default none.</summary>
    public IReadOnlyList<string> Headers { get; init; } = [];

    /// <summary>`cookies`: request cookies whose values are part of the key. Default none.</summary>
    public IReadOnlyList<string> Cookies { get; init; } = [];

    /// <summary>`device`: the client's device class (mobile, tablet, desktop, bot) is part of the key. Default false.</summary>
    public bool Device { get; init; }
}
