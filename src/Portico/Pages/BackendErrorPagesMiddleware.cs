using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Pipeline;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Pages;

/// <summary>
/// A route's `interceptErrors`: a backend answer with one of those statuses reaches the client as
/// Portico's page for the status (the route's, the top-level one, or the built-in page), with the
/// backend's status and its Retry-After (RFC 9110 §10.2.3, what a client should wait, which only
/// the backend knows); every other field of the backend's answer is dropped with its body, since
/// they describe that body. Inside the forwarding frame, so each attempt is judged and a failed
/// attempt's own 502/503/504 page is Forwarding's.
/// </summary>
internal sealed class BackendErrorPagesMiddleware(RequestDelegate next, ActiveConfig config, PagesLog log)
{
    public Task Invoke(HttpContext context)
    {
        var route = MatchedRoute.Of(context, config);
        return route is null || route.InterceptErrors.Count == 0 ? next(context) : InterceptAsync(context, route);
    }

    private async Task InterceptAsync(HttpContext context, RouteSettings route)
    {
        var inner = context.Features.Get<IHttpResponseBodyFeature>()!;
        var body = new InterceptedResponseBody(context.Response, route.InterceptErrors, inner);
        context.Features.Set<IHttpResponseBodyFeature>(body);
        bool failed;
        try
        {
            await next(context);
            // A forward that failed (before the backend answered, or while an intercepted body was
            // being dropped) has started nothing the client can see: Forwarding answers it.
            failed = context.Features.Get<IForwarderErrorFeature>() is not null;
            if (!failed)
            {
                await body.FinishAsync();
            }
        }
        finally
        {
            context.Features.Set(inner);
        }

        if (failed || !body.Intercepted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var status = context.Response.StatusCode;
        var retryAfter = context.Response.Headers[HeaderNames.RetryAfter].ToString();
        log.BackendErrorReplaced(route.Id, status);
        await ErrorPage.WriteAsync(context, status, ErrorPage.Custom(status, config.Current.Settings, route), route, retryAfter.Length > 0 ? retryAfter : null, detail: null);
    }
}
