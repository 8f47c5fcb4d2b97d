using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;
using Portico.Routing;

namespace Portico.Caching;

/// <summary>
/// A route's `cache.key`: the primary key (RFC 9111 §4) made of the URL with only the query
/// parameters that count, in their order, then one line per header, cookie and the device class
/// ("\nh:name=value", "\nc:name=value", "\nd:class"). A line break cannot occur in a URL or a
/// field value, so the URL part ends where the first one begins: purging a URL removes the
/// key itself and every key that starts with it and a line break.
/// </summary>
internal static class CacheKeyRules
{
    /// <summary>The key of <paramref name="context"/>'s request under <paramref name="rules"/>.</summary>
    /// <param name="acceptEncoding">The request's Accept-Encoding key, should a rule name that field.</param>
    public static string Of(HttpContext context, CacheKeySettings rules, string acceptEncoding)
    {
        var request = context.Request;
        var url = CacheKey.Of(request.Scheme, request.Host.Value, request.PathBase.Value, string.Concat(request.Path.Value, Query(request.QueryString.Value, rules)));
        if (!HasLines(rules))
        {
            return url;
        }

        var key = new StringBuilder(url);
        foreach (var name in rules.Headers)
        {
            key.Append("\nh:").Append(name.ToLowerInvariant()).Append('=').Append(VaryKeys.Value(request.Headers, name, acceptEncoding));
        }

        foreach (var name in rules.Cookies)
        {
            key.Append("\nc:").Append(name).Append('=').Append(request.Cookies[name]);
        }

        if (rules.Device)
        {
            key.Append("\nd:").Append(DeviceClassNames.Of(ClientDevice.Of(context)));
        }

        return key.ToString();
    }

    /// <summary>
    /// Removes what is stored for a key-form URL under <paramref name="rules"/> (none: the URL as
    /// is): its key, and when keys carry lines, every key that starts with it and a line break.
    /// </summary>
    public static async ValueTask<int> RemoveAsync(ICacheStore store, string url, CacheKeySettings? rules, CancellationToken cancellationToken, DateTimeOffset? sentBefore = null)
    {
        if (rules is null)
        {
            return await store.RemoveAsync(url, cancellationToken, sentBefore);
        }

        var key = Url(url, rules);
        var removed = await store.RemoveAsync(key, cancellationToken, sentBefore);
        return HasLines(rules) ? removed + await store.RemovePrefixAsync(key + "\n", cancellationToken, sentBefore) : removed;
    }

    /// <summary>Whether keys under <paramref name="rules"/> carry lines after the URL.</summary>
    public static bool HasLines(CacheKeySettings rules) => rules.Headers.Count > 0 || rules.Cookies.Count > 0 || rules.Device;

    /// <summary>A key-form URL (see <see cref="CacheKey.Normalize"/>) with its query as <paramref name="rules"/> count it.</summary>
    public static string Url(string url, CacheKeySettings rules)
    {
        var at = url.IndexOf('?');
        return at < 0 ? url : string.Concat(url.AsSpan(0, at), Query(url[at..], rules));
    }

    /// <summary>`?a=1&amp;b=2` with only the parameters that count, sorted by name when asked; empty when none count.</summary>
    public static string Query(string? query, CacheKeySettings rules)
    {
        if (string.IsNullOrEmpty(query) || (rules.QueryInclude is null && rules.QueryIgnore.Count == 0 && !rules.SortQuery))
        {
            return query ?? "";
        }

        var kept = new List<(string Name, string Part)>();
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            // Parameters are named as a form decodes them (WHATWG URL, application/x-www-form-urlencoded): '+' is a space.
            var name = Uri.UnescapeDataString((equals < 0 ? part : part[..equals]).Replace('+', ' '));
            var counts = rules.QueryInclude is { } include ? include.Contains(name, StringComparer.Ordinal) : !rules.QueryIgnore.Contains(name, StringComparer.Ordinal);
            if (counts)
            {
                kept.Add((name, part));
            }
        }

        if (kept.Count == 0)
        {
            return "";
        }

        // OrderBy is stable: a name given twice keeps its values' order, which a backend may read as a list.
        var ordered = rules.SortQuery ? kept.OrderBy(p => p.Name, StringComparer.Ordinal) : (IEnumerable<(string Name, string Part)>)kept;
        return "?" + string.Join('&', ordered.Select(p => p.Part));
    }
}
