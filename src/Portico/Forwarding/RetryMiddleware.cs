using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration;
using Portico.Observability;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Portico.Forwarding;

/// <summary>
/// Retries a request on another destination when the connection to the first one failed or was
/// reset before any response arrived. Only idempotent methods are retried (RFC 9110 §9.2.2),
/// unless the route sets `retryNonIdempotent`, and never once the request body has been read or
/// the response has started. Sits in front of load balancing so each attempt picks afresh from
/// the destinations not yet tried; passive health sees every attempt.
/// </summary>
internal sealed class RetryMiddleware(RequestDelegate next, ActiveConfig config, ForwardingLog log)
{
    public async Task Invoke(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var snapshot = config.Current;
        var retries = snapshot.Cluster(proxy.Cluster.Config.ClusterId)?.Settings.Retries ?? 0;

        // The observability stage wraps the request body once; its stream tells us whether the
        // backend began reading it. Without that record, a request with a body is not retried.
        var exchange = context.Features.Get<RequestExchange>();
        var canHaveBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true;
        if (retries == 0 || (canHaveBody && exchange?.RequestBody is null)
            || !MayRetry(context.Request.Method, snapshot.Route(proxy.Route.Config.RouteId)?.RetryNonIdempotent ?? false))
        {
            await next(context);
            return;
        }

        var candidates = proxy.AvailableDestinations;
        List<DestinationState>? tried = null;
        for (var attempt = 0; ; attempt++)
        {
            await next(context);
            var error = context.Features.Get<IForwarderErrorFeature>();
            if (error is null || error.Error != ForwarderError.Request || attempt >= retries
                || context.Response.HasStarted || exchange?.RequestBody?.ReadStarted == true || context.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            tried ??= [];
            if (proxy.ProxiedDestination is { } failed)
            {
                tried.Add(failed);
            }

            var remaining = candidates.Where(d => !tried.Contains(d) && d.Health.Passive != DestinationHealth.Unhealthy).ToArray();
            if (remaining.Length == 0)
            {
                return;
            }

            if (exchange is not null)
            {
                exchange.Retries++;
            }

            log.Retrying(proxy.Route.Config.RouteId, proxy.ProxiedDestination?.DestinationId ?? "?", attempt + 1, error.Error);
            proxy.AvailableDestinations = remaining;
            proxy.ProxiedDestination = null;
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.Headers.Clear();
        }
    }

    private static bool MayRetry(string method, bool nonIdempotentAllowed)
        => nonIdempotentAllowed || HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
           || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);
}
