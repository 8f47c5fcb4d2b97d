using Microsoft.AspNetCore.Builder;
using Portico.Auth;
using Portico.Caching;
using Portico.Compression;
using Portico.Cors;
using Portico.Forwarding;
using Portico.Headers;
using Portico.Mirroring;
using Portico.Observability;
using Portico.Pages;
using Portico.RateLimiting;
using Portico.Routing;
using Portico.Security;
using Portico.Security.Waf;
using Portico.Tls;

namespace Portico.Pipeline;

/// <summary>
/// THE order of stages a request passes through (shared/ARCHITECTURE.md). Each entry says why
/// it sits where it does. Stages of later concerns slot in at their numbered place.
/// </summary>
internal static class PorticoPipeline
{
    public static void Use(WebApplication app, PorticoConnections connections)
    {
        // 0 Fast path, HTTP/2 part: before everything, as the connection-level fast path is
        //   before Kestrel's HTTP/1.1 parser. An HTTP/2 request it takes never reaches the stages
        //   below; it records itself as they would (access log, metrics), and a request any
        //   stage that applies would act on is handed to them whole (FastPath/StreamRequests).
        if (connections.StreamFastPath is { } streams)
        {
            app.Use(streams);
        }

        // 1 Observability: outermost, so the access log, metrics and dashboard see every
        //   outcome below, including Portico's own answers.
        app.UsePorticoObservability();

        // 2 Guard, the part that needs no route: HTTP/2 header rules, '_' header names, the served
        //   hosts (421), the listener's IP rules (403). HTTP/1.x framing was already checked on
        //   the connection (ConnectionGate, in Hosting/PorticoHost). Before routing, so a
        //   malformed request never reaches a matcher.
        app.UsePorticoRequestGuard();

        // 2 Guard, TLS part: after the checks above (a hostile request is refused, not
        //   redirected), before routing, because an http-01 challenge and the redirect to
        //   HTTPS answer every path whatever the routes say, and because client-sent copies of
        //   the client-certificate headers must be gone before anything can forward them.
        app.UsePorticoTls();

        // 3 Route match: YARP's endpoints plus our matcher policies (pathRegex). Everything
        //   after this knows the route, and so its per-route settings.
        app.UseRouting();

        // 7 Forwarder, response header rules: right after routing, so they know the route and
        //   reach every answer below (refusals, cache hits, error pages), not only forwarded ones.
        //   They run as the response starts; the request rules are a transform in the forwarder.
        app.UsePorticoHeaderRules();

        // 2 Guard, per route: right after routing because each needs the route's own settings.
        //   IP rules and request limits first, so a refused request costs no rate-limit permit;
        //   then rate limiting, before anything is forwarded.
        app.UsePorticoRouteGuard();

        // Maintenance: after the route guard (a refused client stays refused), before everything
        //   else of the route: a route in maintenance costs no rate-limit permit, WAF pass, auth
        //   or cache lookup, and its allowed clients go on through all of them as usual.
        app.UsePorticoMaintenance();
        app.UsePorticoRateLimiting();

        // 2 Guard, last step: the web application firewall (ModSecurity + CRS) with the route's
        //   rule set, after the cheaper checks above, so it inspects only what they let through.
        app.UsePorticoWaf();

        // CORS: after the guard (a refused client gets no preflight answer either), before the
        //   cache and the forwarder, because a preflight is Portico's to answer (it never reaches
        //   the backend) and carries no credentials for any later check (Fetch §4.8).
        app.UsePorticoCors();

        // 3 Route match, redirects: after CORS (a browser's preflight is answered, not
        //   redirected: Fetch does not follow redirects for one) and the guards, before the device
        //   class, auth and the cache, since a redirect needs none of them and nothing is forwarded.
        app.UsePorticoRedirects();

        // 3 Route match, device part: the device class in the route's header, before the cache,
        //   which keys variants on it; after the guards, so a refused request costs nothing here.
        app.UsePorticoDeviceClass();

        // Per-route `timeout`: must follow routing to see the route; wraps all the work below.
        app.UseRequestTimeouts();

        // 4 Auth: needs the route (its `auth` section); after the guard, so a request the cheaper
        //   checks refuse costs no bcrypt or key lookup, and failed attempts are counted only for
        //   requests that got this far; before the cache, so a cached answer is never served to
        //   a caller the route does not let in. It also removes spoofed identity headers on
        //   every route, before anything below can forward them.
        app.UsePorticoAuth();

        // 5 Cache: needs the route (its `cache` section); sits outside compression so what it
        //   stores is the encoded variant and a hit costs no compression work; answers hits
        //   before anything is forwarded.
        app.UsePorticoCaching();

        // 6 Compression: needs the route (its `compression` section); inside the cache, and
        //   outside the forwarder so it sees the origin's response as it streams.
        app.UsePorticoCompression();

        // 7 Forwarder, body rewriting (BodyRewrite/, AddPorticoBodyRewrite): YARP transforms on the
        //   backend's response, inside the forwarder, so the text is rewritten before compression
        //   encodes it and before the cache stores it; a hit is served without rewriting again.

        app.MapReverseProxy(proxy =>
        {
            // 3 Route match, split part: first, so the arm's cluster replaces the route's once,
            //   before the retries and destination choice below, which then stay within the arm.
            proxy.UsePorticoSplit();

            // 3 Route match, rewrite part: the backend's path, query and Host, worked out once
            //   before the retries below, so each attempt sends the same target.
            proxy.UsePorticoRewrite();

            // Traffic mirroring: before the retries, so the body the copy is taken from is read
            //   once, as the forwarder sends it; after the split and the rewrite, as a copy is of
            //   the request the route forwards. Cache hits, refusals and preflights never reach it.
            proxy.UsePorticoMirroring();

            // Then, outermost of the forwarding: times each attempt for the log and metrics,
            // retries a failed attempt so each one picks a fresh destination below, and speaks
            // for the final failure with our own page (502/503/504) that names no backend.
            proxy.UsePorticoForwarding();

            // Backend error pages (`interceptErrors`): inside the forwarding frame, so they judge
            //   the answer of the attempt that reached a backend, while a failed attempt's own
            //   502/503/504 stays Forwarding's; outside the exchange, whose body they may drop.
            proxy.UsePorticoBackendErrorPages();

            // 7 Forwarder: destination choice, then passive health judges each attempt's
            // outcome on the destination that served it.
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });

        // No route matched: our 404 page rather than an empty body.
        app.MapFallback(context =>
        {
            context.Features.Get<RequestExchange>()!.Reason = LocalReason.NoRoute;
            return ErrorPage.WriteAsync(context, 404);
        });
    }
}
