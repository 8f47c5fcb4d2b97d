using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Portico.Forwarding;
using Portico.Observability;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Caching;

/// <summary>
/// Sends a request on to the stages below (compression, the forwarder) and deals with what
/// comes back: stores it when RFC 9111 §3 allows (sharing it with collapsed requests as it
/// streams), or, when revalidating a stale entry (§4.3), turns a 304 into an updated entry
/// and an error into the stale entry where `stale-if-error` (RFC 5861 §4) allows. A stale entry
/// that must be revalidated (§5.2.2.2) whose origin cannot be reached gets 504, never itself.
/// </summary>
internal sealed class CacheForwarder(RequestDelegate next, ICacheStore store, PartialStore partials, CacheMetrics metrics, TimeProvider time)
{
    private static readonly string[] ClientConditionals =
        [HeaderNames.IfNoneMatch, HeaderNames.IfModifiedSince, HeaderNames.IfMatch, HeaderNames.IfUnmodifiedSince, HeaderNames.IfRange, HeaderNames.Range];

    /// <param name="stale">The entry being revalidated, or null for a miss.</param>
    /// <param name="flight">Set for the leader of collapsed requests: its followers get the response head.</param>
    /// <param name="reason">Cache-Status `fwd` value.</param>
    /// <param name="counted">
    /// Whether the outcome goes into the cache metric and the access log: not for a
    /// stale-while-revalidate refresh (no client), nor a POST (the caller counts it as a bypass).
    /// </param>
    /// <param name="beforeStore">Run once the response is complete and before it is stored (a POST's invalidation, §4.4), given when its request was sent.</param>
    /// <param name="missing">
    /// Set to fill a stored partial entry (RFC 9111 §3.4): the origin is asked for these bytes
    /// only, under If-Range with the entry's entity-tag, and a 206 of them is combined with the
    /// entry, which then answers the client's own range. Anything else the origin sends (a 200 for
    /// a changed representation) goes to the client and the store as for a miss.
    /// </param>
    public async Task ForwardAsync(HttpContext context, CacheRequest request, CacheEntry? stale, CacheFlight? flight, string reason, bool counted, Func<DateTimeOffset, Task>? beforeStore = null,
        (CacheEntry Partial, long From, long To)? missing = null)
    {
        var req = context.Request;
        var response = context.Response;
        var saved = stale is null && missing is null ? null : ClientConditionals.ToDictionary(h => h, h => req.Headers[h]);
        foreach (var field in saved is null ? [] : ClientConditionals)
        {
            // Our validators replace the client's; its own conditions are applied afterwards to the result.
            req.Headers.Remove(field);
        }

        if (stale is not null)
        {
            // A part is revalidated for the range asked: a changed representation then comes back
            // as that range, not whole.
            SetIfPresent(req.Headers, HeaderNames.Range, stale.Ranges is null ? null : saved![HeaderNames.Range].ToString());
            SetIfPresent(req.Headers, HeaderNames.IfNoneMatch, stale.Header("ETag") is { } etag ? EntityTags.ForValidation(etag) : null);
            SetIfPresent(req.Headers, HeaderNames.IfModifiedSince, stale.Header("Last-Modified"));
        }

        if (missing is { } m)
        {
            // RFC 9110 §13.1.5: the part, if the representation is still the stored one; else all of it.
            req.Headers.Range = $"bytes={m.From}-{m.To}";
            req.Headers.IfRange = m.Partial.Header(HeaderNames.ETag);
        }

        var requestTime = time.GetUtcNow();
        var responseTime = requestTime;
        var mode = RecordMode.Pass;
        CacheEntry? head = null;
        IReadOnlyList<string> tags = [];
        FlightBody? body = null;
        DiskBodyWriter? disk = null;
        var disconnected = false;
        var original = context.Features.Get<IHttpResponseBodyFeature>()!;

        // A flight's fetch does not end with its leader's client: its followers and the store need it.
        using var fetch = flight is null ? null : new FlightFetch(context);
        var recording = new RecordingResponseBody(original, () =>
        {
            responseTime = time.GetUtcNow();
            tags = CacheTags.Take(response.Headers, request.Store.TagField);
            var status = response.StatusCode;
            if (stale is not null && (status == StatusCodes.Status304NotModified || (status >= 500 && MayServeOnError(stale, request, responseTime))))
            {
                mode = RecordMode.Swallow;
                return (mode, null, null);
            }

            if (stale is not null && status == StatusCodes.Status502BadGateway && Freshness.MustRevalidate(stale.Directives)
                && context.Features.Get<RequestExchange>()?.Reason == LocalReason.UpstreamUnreachable)
            {
                // Our own 502 for an origin we could not reach: §5.2.2.2 wants 504 (Gateway Timeout) from a
                // disconnected cache, so that a client can tell "no validation possible" from a bad origin.
                disconnected = true;
                mode = RecordMode.Swallow;
                return (mode, null, null);
            }

            head = StoredResponses.Head(context, request, requestTime, responseTime) is { } stored ? stored with { Tags = tags } : null;
            var fwdStatus = stale is null ? (int?)null : status;
            // The part asked for to fill a stored one is never passed on as it is (it is not the
            // client's range): collected, and should it not fit, the client gets 502 below.
            var fills = head is not null && Fills(missing, head);
            (body, disk, var cacheStatus, var shared) = ForwardedResponses.Begin(store, request, head, response.ContentLength, fills, reason, fwdStatus);
            flight?.Share(shared);
            response.Headers[CacheStatus.Header] = cacheStatus;
            if (body is not null)
            {
                mode = fills ? RecordMode.Collect : RecordMode.Record;
            }

            fetch?.Started(body, disk);
            return (mode, body, disk);
        }, fetch);

        context.Features.Set<IHttpResponseBodyFeature>(recording);
        try
        {
            await next(context);
            await recording.FinishAsync();
        }
        catch
        {
            body?.Fail();
            disk?.Dispose();
            throw;
        }
        finally
        {
            context.Features.Set(original);
            foreach (var (field, value) in saved ?? [])
            {
                req.Headers[field] = value;
            }
        }

        if (mode == RecordMode.Pass && HttpMethods.IsHead(req.Method) && response.StatusCode == StatusCodes.Status200OK)
        {
            await ForwardedResponses.FreshenAsync(store, context, request, requestTime, responseTime);
        }

        CacheEntry? kept = null;
        if (mode is RecordMode.Record or RecordMode.Collect)
        {
            // A body the backend broke off is known by the forwarder's error, which YARP sets before
            // it returns; the client's RequestAborted, which its abort of the response also fires,
            // may come later, from the pool, and the cut body would then be stored as whole. For a
            // flight's leader RequestAborted is still its fetch's (FlightFetch), not the client's.
            var broken = context.RequestAborted.IsCancellationRequested || context.Features.Get<IForwarderErrorFeature>() is not null;
            kept = await ForwardedResponses.FinishAsync(store, partials, request, head!, body!, disk, broken, mode == RecordMode.Collect, beforeStore);
        }

        if (mode == RecordMode.Collect)
        {
            // §3.4: the part filled the stored entry; the client's own range is answered from the
            // result. A part that did not arrive whole or could not be kept leaves nothing to
            // answer it from: 502, as for an origin that broke off.
            var partStatus = response.StatusCode;
            ResetResponse(context);
            Count(context, request, CacheOutcome.Miss, counted);
            try
            {
                if (kept is not null && CacheResponder.Holds(context.Request, kept))
                {
                    var ttl = Freshness.Lifetime(kept, request.Settings.Heuristic) - Freshness.Age(kept, time.GetUtcNow());
                    await CacheResponder.WriteAsync(context, kept, Freshness.Age(kept, time.GetUtcNow()), CacheStatus.Forward(reason, partStatus, stored: true, ttl: ttl), validated: true);
                }
                else
                {
                    await ErrorPage.WriteAsync(context, StatusCodes.Status502BadGateway);
                }
            }
            finally
            {
                // Stored after it answered: a body assembled in a spool file is moved into the tier once stored.
                if (kept is not null)
                {
                    await store.SetAsync(kept, CancellationToken.None);
                }
            }

            return;
        }

        if (mode != RecordMode.Swallow)
        {
            Count(context, request, CacheOutcome.Miss, counted);
            return;
        }

        if (disconnected)
        {
            Count(context, request, CacheOutcome.Miss, counted);
            response.OnStarting(() =>
            {
                response.Headers[CacheStatus.Header] = CacheStatus.Forward(reason, detail: "must-revalidate");
                return Task.CompletedTask;
            });
            await ErrorPage.WriteAsync(context, StatusCodes.Status504GatewayTimeout);
            return;
        }

        var fwdStatus = response.StatusCode;
        // A validated entry is fresh again (a soft purge is over); a 304 that carries tags replaces the stored ones.
        var updated = fwdStatus == StatusCodes.Status304NotModified
            ? StoredResponses.Updated(stale!, response, requestTime, responseTime, request.Store.TargetedField) with { StaleFrom = null, Tags = tags.Count > 0 ? tags : stale!.Tags }
            : null;
        ResetResponse(context);
        if (updated is not null)
        {
            // §4.3.4 updates the response the 304 names; one stored for the variant while this
            // revalidation waited (a changed representation another request fetched) stays.
            if (!await SupersededAsync(stale!))
            {
                await store.SetAsync(updated, CancellationToken.None);
            }

            Count(context, request, CacheOutcome.Revalidated, counted);
            var ttl = Freshness.Lifetime(updated, request.Settings.Heuristic) - Freshness.Age(updated, time.GetUtcNow());
            await CacheResponder.WriteAsync(context, updated, Freshness.Age(updated, time.GetUtcNow()), CacheStatus.Forward(reason, 304, stored: true, ttl: ttl), validated: true);
            return;
        }

        Count(context, request, CacheOutcome.Stale, counted);
        var age = Freshness.Age(stale!, time.GetUtcNow());
        await CacheResponder.WriteAsync(context, stale!, age, CacheStatus.Forward(reason, fwdStatus, detail: "stale-if-error"), validated: false);
    }

    /// <summary>
    /// Whether the store holds, for <paramref name="stored"/>'s variant, a response that arrived
    /// after it (a refresh's, a revalidation's, a miss's): then it is no longer the one to
    /// revalidate or update. The entry itself, or none, is not superseded.
    /// </summary>
    public async Task<bool> SupersededAsync(CacheEntry stored)
        => (await store.GetAsync(stored.Key, CancellationToken.None)).Any(v => v.Vary.SequenceEqual(stored.Vary) && v.ResponseTime > stored.ResponseTime);

    // Whether the response is the part asked for to fill a stored partial entry, of its representation.
    private static bool Fills((CacheEntry Partial, long From, long To)? missing, CacheEntry head)
        => missing is { } m && head.Ranges is { Spans: [var span] } && span == (m.From, m.To) && PartialResponses.SameRepresentation(m.Partial, head);

    // RFC 5861 §4: within stale-if-error of the response, or of the request, seconds past freshness.
    private static bool MayServeOnError(CacheEntry stale, CacheRequest request, DateTimeOffset now)
    {
        if (Freshness.ForbidsStale(stale.Directives))
        {
            return false;
        }

        var staleness = Freshness.Age(stale, now) - Freshness.Lifetime(stale, request.Settings.Heuristic);
        var allowed = Math.Max(stale.Directives.StaleIfError ?? -1, request.Directives.StaleIfError ?? -1);
        return allowed >= 0 && staleness.TotalSeconds <= allowed;
    }

    // The swallowed response set status and fields the stored one replaces; the request id stays.
    private static void ResetResponse(HttpContext context)
    {
        var requestId = context.Response.Headers[RequestIds.Header];
        context.Response.Clear();
        if (!StringValues.IsNullOrEmpty(requestId))
        {
            context.Response.Headers[RequestIds.Header] = requestId;
        }
    }

    private void Count(HttpContext context, CacheRequest request, CacheOutcome outcome, bool counted)
    {
        if (counted)
        {
            metrics.Request(request.RouteId, outcome);
            context.Features.Get<RequestExchange>()?.Cache = CacheOutcomes.Name(outcome);
        }
    }

    private static void SetIfPresent(IHeaderDictionary headers, string name, string? value)
    {
        if (value is not null)
        {
            headers[name] = value;
        }
    }
}
