using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Portico.Observability;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Forwarding;

/// <summary>
/// Turns a failed forward into Portico's own 502/503/504 page. The page never names the
/// backend, its address or the underlying exception; those go to the log only.
/// </summary>
internal sealed class ErrorPageMiddleware(RequestDelegate next, ForwardingLog log)
{
    public async Task Invoke(HttpContext context)
    {
        await next(context);
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || context.Response.HasStarted)
        {
            return;
        }

        var timedOut = context.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true;
        int? status = error.Error switch
        {
            _ when timedOut => StatusCodes.Status504GatewayTimeout,
            ForwarderError.NoAvailableDestinations => StatusCodes.Status503ServiceUnavailable,
            ForwarderError.RequestTimedOut => StatusCodes.Status504GatewayTimeout,
            // The client left or sent a broken body: nobody to answer, or YARP's 400 stands.
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient => null,
            _ => StatusCodes.Status502BadGateway,
        };

        if (status is not null && context.Features.Get<RequestExchange>() is { } exchange)
        {
            exchange.Reason = status switch
            {
                StatusCodes.Status503ServiceUnavailable => LocalReason.NoHealthyBackend,
                StatusCodes.Status504GatewayTimeout when timedOut => LocalReason.RouteTimeout,
                StatusCodes.Status504GatewayTimeout => LocalReason.UpstreamTimeout,
                _ => LocalReason.UpstreamUnreachable,
            };
        }

        var proxy = context.GetReverseProxyFeature();
        var route = proxy.Route.Config.RouteId;
        var destination = proxy.ProxiedDestination?.DestinationId ?? "-";
        if (status is null || (context.RequestAborted.IsCancellationRequested && !timedOut))
        {
            // A client that hangs up is routine, not a backend problem: debug level only.
            log.ClientGone(route, destination, error.Error);
            return;
        }

        log.ForwardFailed(route, destination, error.Error, error.Exception?.Message ?? "");

        await ErrorPage.WriteAsync(context, status.Value);
    }
}
