using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Caching;

/// <summary>
/// Stage 5: the RFC 9111 shared cache for routes with a `cache` section. GET and HEAD are
/// answered from the store when a stored response may be reused (§4), otherwise forwarded
/// (collapsed with identical misses, or as a revalidation of a stale entry) and stored when
/// §3 allows; unsafe methods invalidate (§4.4). Every response of a cached route carries
/// `Cache-Status` (RFC 9211).
/// </summary>
internal sealed class CacheMiddleware(RequestDelegate next, ActiveConfig config, ICacheStore store, CachePurger purger, PartialStore partials, CacheFlights flights, CacheMetrics metrics, CacheLog log, TimeProvider time, IServiceScopeFactory scopes)
{
    private readonly CacheForwarder _forwarder = new(next, store, partials, metrics, time);
    private readonly CacheRefresher _refresher = new(log, scopes);

    public Task Invoke(HttpContext context)
    {
        var route = MatchedRoute.Of(context, config);
        if (route?.Cache is null)
        {
            return next(context);
        }

        var method = context.Request.Method;
        if (context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true)
        {
            // A protocol switch (WebSocket) is an exchange, not a response to store or share.
            return BypassAsync(context, route.Id, "bypass");
        }

        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            return LookupAsync(context, CacheRequest.For(context, route, config.Current.Settings.Cache));
        }

        return HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method) || HttpMethods.IsConnect(method)
            ? BypassAsync(context, route.Id, "method")
            : UnsafeAsync(context, route);
    }

    private async Task LookupAsync(HttpContext context, CacheRequest request)
    {
        var ct = context.RequestAborted;
        var variants = await store.GetAsync(request.Key, ct);
        var entry = Choose(context, request, variants);
        if (entry is null || Freshness.Lifetime(entry, request.Settings.Heuristic) <= Freshness.Age(entry, time.GetUtcNow()))
        {
            // Nothing here answers fresh: another instance may have stored (or revalidated) it.
            variants = await store.GetSharedAsync(request.Key, variants, ct);
            entry = Choose(context, request, variants);
        }

        if (entry is not null)
        {
            await (CacheResponder.Holds(context.Request, entry) ? ReuseOrValidateAsync(context, request, entry) : FillAsync(context, request, entry));
            return;
        }

        var reason = variants.Count > 0 ? "vary-miss" : "uri-miss";
        if (request.Directives.OnlyIfCached)
        {
            await OnlyIfCachedAsync(context);
            return;
        }

        var collapsible = request.Settings.Collapse && HttpMethods.IsGet(context.Request.Method) && !request.Conditional
            && !request.Authorized && !request.Directives.NoStore && !request.NoCache;
        if (!collapsible)
        {
            await _forwarder.ForwardAsync(context, request, null, null, reason, counted: true);
            return;
        }

        var flight = flights.Join(request.FlightKey, out var leader);
        if (leader)
        {
            try
            {
                await _forwarder.ForwardAsync(context, request, null, flight, reason, counted: true);
            }
            finally
            {
                flights.Land(request.FlightKey, flight);
            }

            return;
        }

        // A follower: wait (bounded) for the leader's response head; use it if it is shareable,
        // its Vary fields agree with ours and its body can still be followed from the start,
        // otherwise go to the origin ourselves.
        var shared = await flight.WaitAsync(request.Store.CollapseTimeout, ct);
        if (shared is { } s && VaryKeys.Matches(s.Head, context.Request.Headers, request.AcceptEncoding) && s.Body.Follow() is { } reader)
        {
            using (reader)
            {
                Record(context, request.RouteId, CacheOutcome.Collapsed);
                await CacheResponder.WriteAsync(context, s.Head, Freshness.Age(s.Head, time.GetUtcNow()), CacheStatus.Forward(reason, collapsed: true), validated: true, reader);
            }

            return;
        }

        await _forwarder.ForwardAsync(context, request, null, null, reason, counted: true);
    }

    // §4.1: the first stored variant (most recent first) whose Vary fields the request matches.
    private static CacheEntry? Choose(HttpContext context, CacheRequest request, IReadOnlyList<CacheEntry> variants)
        => variants.FirstOrDefault(v => VaryKeys.Matches(v, context.Request.Headers, request.AcceptEncoding)
            && (!request.Authorized || CacheRequest.AllowsAuthorized(v.Directives)));

    private async Task ReuseOrValidateAsync(HttpContext context, CacheRequest request, CacheEntry entry)
    {
        var age = Freshness.Age(entry, time.GetUtcNow());
        var ttl = Freshness.Lifetime(entry, request.Settings.Heuristic) - age;
        var d = entry.Directives;
        var asked = request.Directives;
        var fresh = ttl > TimeSpan.Zero;

        // §5.2.1: the client may ask for validation (no-cache) or a younger response (max-age);
        // an immutable response (RFC 8246) is not revalidated while fresh, even on a reload.
        var clientValidates = request.NoCache || (asked.MaxAge is { } maxAge && age.TotalSeconds > maxAge);
        if (!d.NoCache && (!clientValidates || (fresh && d.Immutable)))
        {
            if (fresh && !(asked.MinFresh is { } minFresh && ttl.TotalSeconds < minFresh))
            {
                Record(context, request.RouteId, CacheOutcome.Hit, entry.Key);
                await CacheResponder.WriteAsync(context, entry, age, CacheStatus.Hit(ttl), validated: false);
                return;
            }

            // §4.2.4: stale only where nothing forbids it, within what the client (max-stale)
            // or the origin (stale-while-revalidate, RFC 5861 §3) allows.
            var staleness = -ttl;
            if (!fresh && !Freshness.ForbidsStale(d))
            {
                var clientAllows = asked.MaxStale is { } maxStale && staleness.TotalSeconds <= maxStale;
                var whileRevalidating = d.StaleWhileRevalidate is { } swr && staleness.TotalSeconds <= swr;
                if (clientAllows || whileRevalidating)
                {
                    if (whileRevalidating)
                    {
                        _ = _refresher.Start(context, request, entry, _forwarder);
                    }

                    Record(context, request.RouteId, CacheOutcome.Stale, entry.Key);
                    await CacheResponder.WriteAsync(context, entry, age, CacheStatus.Hit(ttl), validated: false);
                    return;
                }
            }
        }

        if (request.Directives.OnlyIfCached)
        {
            await OnlyIfCachedAsync(context);
            return;
        }

        await _forwarder.ForwardAsync(context, request, entry, null, request.NoCache ? "request" : "stale", counted: true);
    }

    /// <summary>
    /// A stored partial entry that does not hold what is asked (RFC 9111 §3.4). For a range it
    /// holds part of, the origin is asked for the rest only and the client's range is answered
    /// from the combination; a request for more than one range, for the whole representation, or
    /// whose If-Range the entry does not satisfy goes to the origin as it is (its 200 replaces the
    /// part, its 206 joins it or replaces it). So does a range whose combination no tier could
    /// hold: it is forwarded rather than assembled.
    /// </summary>
    private Task FillAsync(HttpContext context, CacheRequest request, CacheEntry partial)
    {
        if (request.Directives.OnlyIfCached)
        {
            return OnlyIfCachedAsync(context);
        }

        var held = partial.Ranges!;
        if (HttpMethods.IsGet(context.Request.Method) && CacheResponder.RangeOf(context.Request, partial) is { } range
            && held.Missing(range.From, range.To) is var gap && held.Held + (gap.To - gap.From + 1) <= store.MaxObjectSizeBytes)
        {
            return _forwarder.ForwardAsync(context, request, null, null, "partial", counted: true, missing: (partial, gap.From, gap.To));
        }

        return _forwarder.ForwardAsync(context, request, null, null, "partial", counted: true);
    }

    // §5.2.1.7: nothing stored fits and the client will not let us forward.
    private static Task OnlyIfCachedAsync(HttpContext context)
    {
        context.Features.Get<RequestExchange>()?.Reason = LocalReason.OnlyIfCached;
        context.Features.Get<RequestExchange>()?.Cache = CacheOutcomes.Name(CacheOutcome.Miss);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status504GatewayTimeout;
        response.Headers.CacheControl = "no-store";
        response.Headers[CacheStatus.Header] = CacheStatus.Forward("miss", detail: "only-if-cached");
        response.ContentType = "text/plain; charset=utf-8";
        const string body = "504 Gateway Timeout: only-if-cached, and no stored response fits\n";
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.WriteAsync(body, context.RequestAborted);
    }

    private Task BypassAsync(HttpContext context, string routeId, string reason)
    {
        Record(context, routeId, CacheOutcome.Bypass);
        context.Response.Headers[CacheStatus.Header] = CacheStatus.Forward(reason);
        var tagField = config.Current.Settings.Cache.TagField;
        context.Response.OnStarting(() =>
        {
            // Tags are for this cache's purges; they never reach a client, stored or not.
            context.Response.Headers.Remove(tagField);
            return Task.CompletedTask;
        });
        return next(context);
    }

    // An unsafe method: forwarded, and its response invalidates (§4.4). A POST's response may
    // also be stored for later GETs of its URI (RFC 9110 §9.3.3, see StoredResponses.Head): then
    // the invalidation runs before it is stored, not after, which would remove it again, and
    // keeps out the responses on their way to requests sent before the POST, not its own.
    private async Task UnsafeAsync(HttpContext context, RouteSettings route)
    {
        var invalidated = false;
        async Task InvalidateOnceAsync(DateTimeOffset? sentBefore)
        {
            if (!invalidated)
            {
                invalidated = true;
                await InvalidateAsync(context, route, sentBefore);
            }
        }

        if (HttpMethods.IsPost(context.Request.Method))
        {
            Record(context, route.Id, CacheOutcome.Bypass);
            var request = CacheRequest.For(context, route, config.Current.Settings.Cache);
            await _forwarder.ForwardAsync(context, request, null, null, "method", counted: false, sent => InvalidateOnceAsync(sent));
        }
        else
        {
            await BypassAsync(context, route.Id, "method");
        }

        await InvalidateOnceAsync(null);
    }

    // §4.4: a non-error response to an unsafe method invalidates the target URI and the
    // Location / Content-Location URIs on the same origin.
    // With `cache.key`, every key of each URL under the route's rules.
    private async Task InvalidateAsync(HttpContext context, RouteSettings route, DateTimeOffset? sentBefore)
    {
        if (context.Response.StatusCode is < 200 or >= 400)
        {
            return;
        }

        var request = context.Request;
        var rules = route.Cache?.Key;
        foreach (var key in new[] { CacheKey.Of(request), CacheKey.OfReference(request, context.Response.Headers.Location), CacheKey.OfReference(request, context.Response.Headers.ContentLocation) })
        {
            if (key is not null)
            {
                await CacheKeyRules.RemoveAsync(store, key, rules, CancellationToken.None, sentBefore);
                purger.Invalidated(key, route.Id);
            }
        }
    }

    /// <param name="served">The primary key of the stored response the request was answered from; null when it was not.</param>
    private void Record(HttpContext context, string routeId, CacheOutcome outcome, string? served = null)
    {
        if (served is null)
        {
            metrics.Request(routeId, outcome);
        }
        else
        {
            metrics.Served(routeId, outcome, served);
        }

        context.Features.Get<RequestExchange>()?.Cache = CacheOutcomes.Name(outcome);
    }
}
