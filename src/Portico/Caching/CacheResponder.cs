using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// Answers a request from a stored response: `Age` (RFC 9111 §4.2.3) and `Cache-Status` added,
/// the client's own conditional request answered with 304 (§4.3.2), a single byte range with
/// 206 or 416 (RFC 9110 §14), HEAD with the headers only. A body the disk tier holds is
/// streamed from its file in bounded pieces (<see cref="DiskBodyReader"/>).
/// </summary>
internal static class CacheResponder
{
    /// <param name="validated">False when served without contacting the origin: `no-cache="field"` fields are left out (§5.2.2.4).</param>
    public static async Task WriteAsync(HttpContext context, CacheEntry entry, TimeSpan age, string cacheStatus, bool validated, FlightBody.Reader? streaming = null)
    {
        var response = context.Response;
        response.StatusCode = entry.Status;
        foreach (var (name, value) in entry.Headers)
        {
            if (validated || !entry.Directives.NoCacheFields.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                response.Headers[name] = value;
            }
        }

        response.Headers.Age = ((long)Math.Max(0, Math.Floor(age.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
        response.Headers[CacheStatus.Header] = cacheStatus;
        var request = context.Request;
        if (entry.Status is 200 or 206 && NotModified(request, entry))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            response.ContentLength = null;
            return;
        }

        var head = HttpMethods.IsHead(request.Method);
        if (streaming is not null)
        {
            if (!head && !await streaming.CopyToAsync(response.Body, context.RequestAborted))
            {
                // The leader's body broke off after we began passing it on: end the exchange uncleanly.
                context.Abort();
            }

            return;
        }

        var length = entry.RepresentationLength;
        var (from, count) = (0L, length);
        if (entry.Ranges is not null && !Holds(request, entry))
        {
            // Callers send only what a partial entry holds (see Holds); its body is not the representation.
            throw new InvalidOperationException($"{entry.Key}: the stored part ({entry.Ranges}) does not hold the range asked for");
        }

        if (entry.Status is 200 or 206 && !head && RangeOf(request, entry) is { } range)
        {
            if (range.From < 0)
            {
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = $"bytes */{length}";
                response.ContentLength = 0;
                return;
            }

            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {range.From}-{range.To}/{length}";
            // A partial entry's body is its held ranges one after the other (HeldRanges).
            (from, count) = (entry.Ranges?.OffsetOf(range.From) ?? range.From, range.To - range.From + 1);
        }

        if (entry.Status is not (204 or 304))
        {
            response.ContentLength = count;
        }

        if (head || count == 0)
        {
            return;
        }

        if (entry.InMemory)
        {
            await response.Body.WriteAsync(entry.Body.Slice((int)from, (int)count), context.RequestAborted);
        }
        else if (!await DiskBodyReader.CopyAsync(entry.File!, from, count, response.Body, context.RequestAborted))
        {
            // The file went or was found damaged after the head was sent: cut the exchange, so the
            // client cannot take a short or wrong body for the whole one, and drop the entry.
            context.RequestServices.GetService<ICacheStore>()?.Discard(entry);
            context.Abort();
        }
    }

    /// <summary>RFC 9110 §13.1.2 / §13.1.3 evaluated against the stored response.</summary>
    internal static bool NotModified(HttpRequest request, CacheEntry entry)
        => NotModified(request.Headers.IfNoneMatch, request.Headers.IfModifiedSince, entry);

    /// <summary>The same from the two fields' values (the fast path reads them from the raw head).</summary>
    internal static bool NotModified(StringValues ifNoneMatch, StringValues ifModifiedSince, CacheEntry entry)
    {
        if (ifNoneMatch.Count > 0)
        {
            return EntityTags.AnyWeakMatch(ifNoneMatch, entry.Header("ETag"));
        }

        return ifModifiedSince.Count > 0
            && HttpDates.TryParse(ifModifiedSince, entry.ResponseTime, out var since)
            && HttpDates.TryParse(entry.Header("Last-Modified") ?? entry.Header("Date"), entry.ResponseTime, out var modified)
            && modified <= since;
    }

    /// <summary>
    /// Whether <paramref name="entry"/> can answer the request: a complete response always; a
    /// partial one (RFC 9111 §3.3) only a GET for one range that lies within what it holds (or
    /// lies past its complete length: 416), If-Range permitting.
    /// </summary>
    internal static bool Holds(HttpRequest request, CacheEntry entry)
        => entry.Ranges is not { } held
            || (!HttpMethods.IsHead(request.Method) && RangeOf(request, entry) is { } range && (range.From < 0 || held.Covers(range.From, range.To)));

    /// <summary>The one range asked for, (-1, -1) when unsatisfiable, or null to send the whole body.</summary>
    internal static (long From, long To)? RangeOf(HttpRequest request, CacheEntry entry)
    {
        var header = request.Headers.Range.ToString();
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(','))
        {
            return null;
        }

        if (request.Headers.IfRange.ToString() is { Length: > 0 } ifRange && !IfRangeHolds(ifRange, entry))
        {
            return null;
        }

        var spec = header[6..].Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return null;
        }

        var length = entry.RepresentationLength;
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
            {
                return null;
            }

            return suffix == 0 || length == 0 ? (-1, -1) : (Math.Max(0, length - suffix), length - 1);
        }

        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            return null;
        }

        var to = length - 1;
        if (last.Length > 0 && (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out to) || to < from))
        {
            return null;
        }

        return from >= length ? (-1, -1) : (from, Math.Min(to, length - 1));
    }

    // RFC 9110 §13.1.5: an entity tag must match strongly; a date must equal Last-Modified.
    private static bool IfRangeHolds(string ifRange, CacheEntry entry)
    {
        if (ifRange.StartsWith('"'))
        {
            return entry.Header("ETag") is { } etag && !etag.StartsWith("W/", StringComparison.Ordinal) && etag == ifRange;
        }

        return !ifRange.StartsWith("W/", StringComparison.Ordinal)
            && HttpDates.TryParse(ifRange, entry.ResponseTime, out var date) && HttpDates.TryParse(entry.Header("Last-Modified"), entry.ResponseTime, out var modified) && date == modified;
    }
}
