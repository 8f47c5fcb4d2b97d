using Microsoft.AspNetCore.Builder;
using Portico.Caching;
using Portico.Compression;
using Portico.Forwarding;
using Portico.Observability;

namespace Portico.Pipeline;

/// <summary>
/// THE order of stages a request passes through (shared/ARCHITECTURE.md). Each entry says why
/// it sits where it does. Stages of later concerns slot in at their numbered place.
/// </summary>
internal static class PorticoPipeline
{
    public static void Use(WebApplication app)
    {
        // 1 Observability: outermost, so the access log, metrics and dashboard see every
        //   outcome below, including Portico's own answers.
        app.UseMiddleware<ObservabilityMiddleware>();

        // 3 Route match: YARP's endpoints plus our matcher policies (pathRegex). Everything
        //   after this knows the route, and so its per-route settings.
        app.UseRouting();

        // Per-route `timeout`: must follow routing to see the route; wraps all the work below.
        app.UseRequestTimeouts();

        // 5 Cache: needs the route (its `cache` section); sits outside compression so what it
        //   stores is the encoded variant and a hit costs no compression work; answers hits
        //   before anything is forwarded.
        app.UsePorticoCaching();

        // 6 Compression: needs the route (its `compression` section); inside the cache, and
        //   outside the forwarder so it sees the origin's response as it streams.
        app.UsePorticoCompression();

        app.MapReverseProxy(proxy =>
        {
            // Outermost in the proxy pipeline so it speaks for every failure below with our
            // own page (502/503/504) that names no backend.
            proxy.UseMiddleware<ErrorPageMiddleware>();

            // 7 Forwarder. Retries wrap load balancing so each attempt picks a fresh destination.
            proxy.UseMiddleware<RetryMiddleware>();
            proxy.UseLoadBalancing();

            // Judges each attempt's outcome on the destination that served it.
            proxy.UsePassiveHealthChecks();

            // Innermost: times each exchange with a destination for the log and metrics.
            proxy.UseMiddleware<UpstreamTimingMiddleware>();
        });

        // No route matched: our 404 page rather than an empty body.
        app.MapFallback(context =>
        {
            context.Features.Get<RequestExchange>()!.Reason = LocalReason.NoRoute;
            return ErrorPage.WriteAsync(context, 404);
        });
    }
}
