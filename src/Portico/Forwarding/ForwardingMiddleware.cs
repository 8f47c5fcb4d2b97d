using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration;
using Portico.Observability;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Portico.Forwarding;

/// <summary>
/// The one frame Portico adds around YARP's forwarding (load balancing, passive health, the
/// exchange with the backend): it times each attempt, retries a failed one on another
/// destination, and answers a final failure with Portico's own page. One async frame rather
/// than three middlewares: each awaited frame costs an allocation and a resumption on every
/// request (bench/alloc.sh).
/// </summary>
internal sealed class ForwardingMiddleware(RequestDelegate next, ActiveConfig config, ForwardingLog log, DestinationStats destinations, TimeProvider time)
{
    public async Task Invoke(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var exchange = context.Features.Get<RequestExchange>();
        var retries = RetriesAllowed(context, proxy, exchange);
        var candidates = proxy.AvailableDestinations;
        List<DestinationState>? tried = null;
        IForwarderErrorFeature? error;
        for (var attempt = 0; ; attempt++)
        {
            var start = time.GetTimestamp();
            await next(context);
            error = context.Features.Get<IForwarderErrorFeature>();
            var retry = error is not null && Retryable(error.Error) && attempt < retries && !context.Response.HasStarted
                && FailureCauses.Of(error.Error, error.Exception) == FailureCause.Destination
                && exchange?.RequestBody?.ReadStarted != true && !context.RequestAborted.IsCancellationRequested;

            // Retry: on a destination not yet tried and not ejected by passive health; with none
            // left, this attempt was the last and its statistics say so.
            DestinationState[] remaining = [];
            if (retry)
            {
                tried ??= [];
                if (proxy.ProxiedDestination is { } failed)
                {
                    tried.Add(failed);
                }

                remaining = candidates.Where(d => !tried.Contains(d) && d.Health.Passive != DestinationHealth.Unhealthy).ToArray();
                retry = remaining.Length > 0;
            }

            if (proxy.ProxiedDestination is { } served)
            {
                var seconds = time.GetElapsedTime(start).TotalSeconds;
                if (exchange is not null)
                {
                    exchange.Upstream = served.Model.Config.Address;
                    exchange.UpstreamSeconds = seconds;
                }

                if (DestinationOutcomes.Of(context, error) is { } outcome)
                {
                    destinations.Record(served, outcome, seconds, exchange?.BytesIn ?? 0, exchange?.BytesOut ?? 0, retry);
                }
            }

            if (error is null)
            {
                return;
            }

            if (!retry)
            {
                break;
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

        await AnswerFailureAsync(context, proxy, exchange, error);
    }

    /// <summary>
    /// A failed attempt another destination may redo, once RetriesAllowed and the checks above
    /// say the request may be sent again: the connection failed or ended before a response
    /// (Request), or no connection or no response head came within `connectTimeout` or the
    /// cluster's `timeout` (RequestTimedOut; the route's own `timeout` cancels the request
    /// instead, which is never retried). As nginx's `proxy_next_upstream error timeout`: a backend
    /// that accepts and never answers costs its requests one timeout, not their answer.
    /// </summary>
    private static bool Retryable(ForwarderError error) => error is ForwarderError.Request or ForwarderError.RequestTimedOut;

    /// <summary>
    /// How many retries this request may have: the cluster's `retries`, for idempotent methods
    /// (RFC 9110 §9.2.2) unless the route sets `retryNonIdempotent`, and only when the
    /// observability stage's body stream can tell whether the backend began reading the body.
    /// </summary>
    private int RetriesAllowed(HttpContext context, IReverseProxyFeature proxy, RequestExchange? exchange)
    {
        var snapshot = config.Current;
        var retries = snapshot.Cluster(proxy.Cluster.Config.ClusterId)?.Settings.Retries ?? 0;
        if (retries == 0)
        {
            return 0;
        }

        var canHaveBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true;
        if (canHaveBody && exchange?.RequestBody is null)
        {
            return 0;
        }

        var method = context.Request.Method;
        var nonIdempotentAllowed = snapshot.Route(proxy.Route.Config.RouteId)?.RetryNonIdempotent ?? false;
        var idempotent = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
                         || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);
        return idempotent || nonIdempotentAllowed ? retries : 0;
    }

    /// <summary>
    /// Turns a failed forward into Portico's own 502/503/504 page (400 for a request no backend
    /// could be sent: FailureCauses). The page never names the
    /// backend, its address or the underlying exception; those go to the log only.
    /// </summary>
    private async Task AnswerFailureAsync(HttpContext context, IReverseProxyFeature proxy, RequestExchange? exchange, IForwarderErrorFeature error)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        var timedOut = ClientHangUp.RouteTimedOut(context);
        var cause = FailureCauses.Of(error.Error, error.Exception);
        int? status = ClientHangUp.Happened(context) ? null : error.Error switch
        {
            _ when timedOut => StatusCodes.Status504GatewayTimeout,
            // The request could not be written to any backend; another would refuse it alike.
            _ when cause == FailureCause.Request => StatusCodes.Status400BadRequest,
            ForwarderError.NoAvailableDestinations => StatusCodes.Status503ServiceUnavailable,
            ForwarderError.RequestTimedOut => StatusCodes.Status504GatewayTimeout,
            // The client left or sent a broken body: nobody to answer, or YARP's 400 stands.
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient => null,
            _ => StatusCodes.Status502BadGateway,
        };

        if (status is not null && exchange is not null)
        {
            exchange.Reason = status switch
            {
                StatusCodes.Status503ServiceUnavailable => LocalReason.NoHealthyBackend,
                StatusCodes.Status400BadRequest => LocalReason.MalformedRequest,
                StatusCodes.Status504GatewayTimeout when timedOut => LocalReason.RouteTimeout,
                StatusCodes.Status504GatewayTimeout => LocalReason.UpstreamTimeout,
                _ => LocalReason.UpstreamUnreachable,
            };
        }

        var route = proxy.Route.Config.RouteId;
        var destination = proxy.ProxiedDestination?.DestinationId ?? "-";
        if (status is null)
        {
            // A client that hangs up is routine, not a backend problem: debug level only.
            log.ClientGone(route, destination, error.Error);
            return;
        }

        if (cause == FailureCause.Destination)
        {
            log.ForwardFailed(route, destination, error.Error, error.Exception?.Message ?? "");
        }
        else
        {
            log.RequestRefused(route, destination, error.Error, error.Exception?.Message ?? "");
        }

        await ErrorPage.WriteAsync(context, status.Value);
    }
}
