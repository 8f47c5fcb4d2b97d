using System.Globalization;

namespace Portico.Caching;

/// <summary>
/// The `Cache-Status` field (RFC 9211) Portico adds to every response of a cached route, as
/// one list member named "Portico": `hit` or `fwd=REASON`, with `fwd-status`, `stored`,
/// `collapsed`, `ttl` (seconds of freshness left; negative when served stale) and `detail`.
/// </summary>
internal static class CacheStatus
{
    public const string Header = "Cache-Status";

    public static string Hit(TimeSpan ttl) => $"Portico; hit; ttl={Seconds(ttl)}";

    public static string Forward(string reason, int? status = null, bool stored = false, bool collapsed = false, TimeSpan? ttl = null, string? detail = null)
    {
        var text = $"Portico; fwd={reason}";
        if (status is { } s)
        {
            text += $"; fwd-status={s}";
        }

        if (stored)
        {
            text += "; stored";
        }

        if (collapsed)
        {
            text += "; collapsed";
        }

        if (ttl is { } t)
        {
            text += $"; ttl={Seconds(t)}";
        }

        return detail is null ? text : $"{text}; detail={detail}";
    }

    private static string Seconds(TimeSpan t) => ((long)Math.Floor(t.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
