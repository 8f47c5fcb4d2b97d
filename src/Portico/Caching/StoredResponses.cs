using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Portico.Caching;

/// <summary>Turning a forwarded response into a <see cref="CacheEntry"/>: whether it may be stored (RFC 9111 §3), what is kept, and updating from a 304 (§4.3.4).</summary>
internal static class StoredResponses
{
    // Hop-by-hop fields (RFC 9110 §7.6.1) and fields that describe one exchange, not the response.
    private static readonly HashSet<string> NotStored = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding", "Upgrade", "Trailer",
        "Proxy-Authenticate", "Proxy-Authentication-Info", "Age", "Set-Cookie", CacheStatus.Header, "X-Request-Id",
    };

    // §5.2.2.3: the final status codes whose caching rules Portico knows, RFC 9110 §15's (206 as
    // §3.3 has it). With must-understand, these are stored despite no-store and others not at all.
    private static readonly HashSet<int> Understood =
    [
        200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 305, 307, 308,
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426,
        500, 501, 502, 503, 504, 505,
    ];

    // §3.2: never taken from a 304 or a HEAD response: Content-Length (§3.2 names it), and what the
    // stored body depends on, its coding and its range (the body stays the stored one).
    private static readonly HashSet<string> NotUpdated = new(StringComparer.OrdinalIgnoreCase) { "Content-Length", "Content-Encoding", "Content-Range" };

    /// <summary>The response's head as an entry (empty body), or null when §3 forbids storing it or it is not worth keeping.</summary>
    public static CacheEntry? Head(HttpContext context, CacheRequest request, DateTimeOffset requestTime, DateTimeOffset responseTime)
    {
        var response = context.Response;
        var status = response.StatusCode;
        var d = TargetedField.Directives(name => response.Headers[name], request.Store.TargetedField);
        if (!(HttpMethods.IsGet(context.Request.Method) || ReusablePost(context, request.Key, d)) || request.Directives.NoStore || status is < 200 or 304
            || (status == StatusCodes.Status206PartialContent && PartialResponses.Part(context) is null)
            || (d.MustUnderstand ? !Understood.Contains(status) : d.NoStore) || d.Private || (response.Headers.ContainsKey(HeaderNames.SetCookie) && !request.Settings.StripSetCookie)
            || (request.Authorized && !CacheRequest.AllowsAuthorized(d)))
        {
            return null;
        }

        var vary = VaryKeys.Fields(response.Headers.Vary);
        var explicitly = d.Public || d.MaxAge is not null || d.SharedMaxAge is not null || (!d.Targeted && response.Headers.ContainsKey(HeaderNames.Expires));
        if (vary is ["*"] || (!explicitly && !Freshness.IsHeuristicallyCacheable(status)))
        {
            return null;
        }

        // §3.3: a 206 is kept as the part it holds; its Content-Range and Content-Length describe
        // this one response, and the responder writes them for each answer from the entry.
        var part = status == StatusCodes.Status206PartialContent ? PartialResponses.Part(context) : null;
        var kept = Kept(response.Headers, d);
        var entry = new CacheEntry
        {
            Key = request.Key,
            Vary = vary.Select(f => new KeyValuePair<string, string>(f, VaryKeys.Value(context.Request.Headers, f, request.AcceptEncoding))).ToArray(),
            Status = status,
            Headers = part is null ? kept : kept.Where(h => !PartialResponses.PerPart(h.Key)).ToArray(),
            Ranges = part is { } p ? new HeldRanges(p.Length, [(p.From, p.To)]) : null,
            RequestTime = requestTime,
            ResponseTime = responseTime,
            Date = HttpDates.TryParse(response.Headers.Date, responseTime, out var date) ? date : responseTime,
            AgeValue = DeltaSeconds.Age(response.Headers.Age),
            Directives = d,
        };

        // Kept only if it can be reused: fresh for a while, or with a validator to revalidate.
        var useful = Freshness.Lifetime(entry, request.Settings.Heuristic) > TimeSpan.Zero
            || response.Headers.ContainsKey(HeaderNames.ETag) || response.Headers.ContainsKey(HeaderNames.LastModified);
        return useful ? entry : null;
    }

    /// <summary>
    /// RFC 9110 §9.3.3: a response to POST may answer later GETs and HEADs of its target URI when
    /// it has explicit freshness (§4.2.1) and a Content-Location naming that same URI. Only a 200:
    /// it is the representation of that URI, as a GET would get it; a 201 or 204 to a GET would not be.
    /// </summary>
    private static bool ReusablePost(HttpContext context, string key, CacheDirectives d)
    {
        var response = context.Response;
        return HttpMethods.IsPost(context.Request.Method) && response.StatusCode == StatusCodes.Status200OK
            && (d.MaxAge is not null || d.SharedMaxAge is not null || (!d.Targeted && response.Headers.ContainsKey(HeaderNames.Expires)))
            && CacheKey.OfReference(context.Request, response.Headers.ContentLocation) == key;
    }

    /// <summary>
    /// §4.3.4 (a 304) and §4.3.5 (a 200 to HEAD): the stored response with the new response's
    /// fields in place of its own, except those §3.2 keeps out: what §3.1 does not store (hop-by-hop
    /// fields, those the new response's Connection names, and those its `private="F"` names),
    /// Content-Length, and the fields the stored body depends on (<see cref="NotUpdated"/>).
    /// </summary>
    /// <param name="targetedField">`cache.targetedField` (see <see cref="TargetedField"/>).</param>
    public static CacheEntry Updated(CacheEntry stored, HttpResponse update, DateTimeOffset requestTime, DateTimeOffset responseTime, string? targetedField)
    {
        var headers = stored.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
        var storedEtag = stored.Header("ETag");
        var connectionNamed = ConnectionNamed(update.Headers);
        foreach (var (name, value) in update.Headers)
        {
            // Our compression weakened the stored ETag; the origin's strong one names the same response.
            var sameEtag = name.Equals("ETag", StringComparison.OrdinalIgnoreCase) && storedEtag == "W/" + value;
            if (!NotStored.Contains(name) && !NotUpdated.Contains(name) && !connectionNamed.Contains(name) && !sameEtag)
            {
                headers[name] = value;
            }
        }

        var directives = TargetedField.Directives(name => headers.GetValueOrDefault(name), targetedField);
        foreach (var field in directives.PrivateFields)
        {
            headers.Remove(field);
        }

        return stored with
        {
            Headers = headers.ToArray(),
            Directives = directives,
            RequestTime = requestTime,
            ResponseTime = responseTime,
            Date = HttpDates.TryParse(headers.GetValueOrDefault("Date"), responseTime, out var date) ? date : responseTime,
            AgeValue = DeltaSeconds.Age(update.Headers.Age),
        };
    }

    /// <summary>
    /// §4.3.5: whether a 200 to HEAD describes the stored GET response: every validator it
    /// carries (ETag, Last-Modified) equals the stored one, and so does its Content-Length when
    /// it has one. Otherwise the stored response is out of date.
    /// </summary>
    public static bool DescribesSame(CacheEntry stored, IHeaderDictionary head)
    {
        if (head.ETag.Count > 0)
        {
            // As in Updated: the stored ETag may be the one our compression weakened.
            var etag = head.ETag.ToString();
            if (stored.Header("ETag") is not { } storedEtag || (storedEtag != etag && storedEtag != "W/" + etag))
            {
                return false;
            }
        }

        if (head.LastModified.Count > 0 && stored.Header("Last-Modified") != head.LastModified.ToString())
        {
            return false;
        }

        return head.ContentLength is not { } length
            || length == (long.TryParse(stored.Header("Content-Length"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var storedLength) ? storedLength : stored.RepresentationLength);
    }

    private static KeyValuePair<string, StringValues>[] Kept(IHeaderDictionary headers, CacheDirectives d)
    {
        var connectionNamed = ConnectionNamed(headers);
        return headers
            .Where(h => !NotStored.Contains(h.Key) && !connectionNamed.Contains(h.Key) && !d.PrivateFields.Contains(h.Key, StringComparer.OrdinalIgnoreCase))
            .ToArray();
    }

    // RFC 9110 §7.6.1: the fields a response's Connection names belong to that one hop.
    private static HashSet<string> ConnectionNamed(IHeaderDictionary headers)
        => headers.Connection.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.OrdinalIgnoreCase);
}
