using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Yarp.ReverseProxy.Model;

namespace Portico.Observability;

/// <summary>
/// Stage 1, outermost: sees every request and every outcome below it. Assigns the request id,
/// wraps both bodies in the one <see cref="CountingStream"/> each that later stages share, and when the response is done records it
/// (<see cref="RequestRecorder"/>: the metrics, the dashboard's statistics and the access log).
/// </summary>
internal sealed class ObservabilityMiddleware(RequestDelegate next, PorticoMetrics metrics, RequestRecorder recorder, TimeProvider time)
{
    public async Task Invoke(HttpContext context)
    {
        var start = time.GetTimestamp();
        CountingStream? requestBody = null;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            requestBody = new CountingStream(context.Request.Body, countReads: true);
            context.Request.Body = requestBody;
        }

        var responseBody = new CountingStream(context.Response.Body, countReads: false);
        context.Response.Body = responseBody;
        var exchange = new RequestExchange
        {
            StartTimestamp = start,
            RequestId = RequestIds.Resolve(context),
            RequestBody = requestBody,
            ResponseBody = responseBody,
        };
        context.Features.Set(exchange);
        context.Response.Headers[RequestIds.Header] = exchange.RequestId;
        metrics.RequestStarted();
        try
        {
            await next(context);
        }
        finally
        {
            if (exchange.Route is null && context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is { } route)
            {
                exchange.Route = route.Config.RouteId;
                exchange.Cluster = route.Config.ClusterId;
            }

            var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
            if (status == 499)
            {
                // The client hung up first: whatever a later stage concluded about the backend
                // (a failed forward it was waiting on) is not what this request came to.
                exchange.Reason = null;
            }

            var seconds = time.GetElapsedTime(exchange.StartTimestamp).TotalSeconds;
            recorder.Record(exchange, status, seconds, tallies: null, new RequestRecorder.Http(context));
        }
    }
}
