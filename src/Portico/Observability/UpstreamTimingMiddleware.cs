using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Portico.Observability;

/// <summary>
/// Innermost in the proxy pipeline: times each exchange with a destination and notes which one
/// served, for the access log's upstream fields and the upstream latency histogram.
/// </summary>
internal sealed class UpstreamTimingMiddleware(RequestDelegate next, TimeProvider time)
{
    public async Task Invoke(HttpContext context)
    {
        var exchange = context.Features.Get<RequestExchange>();
        if (exchange is null)
        {
            await next(context);
            return;
        }

        var start = time.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var proxy = context.GetReverseProxyFeature();
            if (proxy.ProxiedDestination is { } destination)
            {
                exchange.Upstream = destination.Model.Config.Address;
                exchange.UpstreamSeconds = time.GetElapsedTime(start).TotalSeconds;
            }
        }
    }
}
