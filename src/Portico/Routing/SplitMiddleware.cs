using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Observability;
using Portico.Pipeline;
using Yarp.ReverseProxy;

namespace Portico.Routing;

/// <summary>
/// First in the proxy pipeline, on a route with a `split`: sends the request to its arm's cluster
/// (YARP's destinations, load balancing and health of that cluster then apply), names the arm in
/// the access log and metrics, and gives a new client its sticky cookie.
/// </summary>
internal sealed class SplitMiddleware(RequestDelegate next, ActiveConfig config, IProxyStateLookup state, SplitMetrics metrics)
{
    // RFC 6265 §4.1.2.2: a year; the id carries no data, only the client's place in the split.
    private const int CookieSeconds = 365 * 24 * 3600;

    public Task Invoke(HttpContext context)
    {
        if (MatchedRoute.Of(context, config) is not { Split: { } split } route)
        {
            return next(context);
        }

        var (arm, how, newId) = SplitAssigner.Assign(split, context);
        if (arm.Cluster != route.Cluster && state.TryGetCluster(arm.Cluster, out var cluster))
        {
            context.ReassignProxyRequest(cluster);
        }

        if (newId is not null)
        {
            context.Response.Cookies.Append(split.Cookie, newId, new CookieOptions { Path = "/", MaxAge = TimeSpan.FromSeconds(CookieSeconds), HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = context.Request.IsHttps });
        }

        if (context.Features.Get<RequestExchange>() is { } exchange)
        {
            exchange.Route = route.Id;
            exchange.Cluster = arm.Cluster;
            exchange.Arm = arm.Cluster;
        }

        metrics.Assigned(route.Id, arm.Cluster, how);
        return next(context);
    }
}
