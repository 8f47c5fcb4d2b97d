using Microsoft.AspNetCore.Builder;
using Portico.Forwarding;

namespace Portico.Pipeline;

/// <summary>
/// THE order of stages a request passes through (shared/ARCHITECTURE.md). Each entry says why
/// it sits where it does. Stages of later concerns slot in at their numbered place.
/// </summary>
internal static class PorticoPipeline
{
    public static void Use(WebApplication app)
    {
        // 3 Route match: YARP's endpoints plus our matcher policies (pathRegex). Everything
        //   after this knows the route, and so its per-route settings.
        app.UseRouting();

        // Per-route `timeout`: must follow routing to see the route; wraps all the work below.
        app.UseRequestTimeouts();

        app.MapReverseProxy(proxy =>
        {
            // Outermost in the proxy pipeline so it speaks for every failure below with our
            // own page (502/503/504) that names no backend.
            proxy.UseMiddleware<ErrorPageMiddleware>();

            // 7 Forwarder. Retries wrap load balancing so each attempt picks a fresh destination.
            proxy.UseMiddleware<RetryMiddleware>();
            proxy.UseLoadBalancing();

            // Innermost, so it judges each attempt's outcome on the destination that served it.
            proxy.UsePassiveHealthChecks();
        });

        // No route matched: our 404 page rather than an empty body.
        app.MapFallback(context => ErrorPage.WriteAsync(context, 404));
    }
}
