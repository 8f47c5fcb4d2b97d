using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Forwarding;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Routing;

/// <summary>
/// A route's `rewrite`: works out the path, query and Host the backend gets (<see cref="RewrittenTarget"/>)
/// once, before the first attempt, for <see cref="RewriteTransform"/> to send on each. A rewritten
/// path with a `.` or `..` segment is refused with 400 rather than sent (<see cref="DotSegments"/>).
/// </summary>
internal sealed class RewriteMiddleware(RequestDelegate next, ActiveConfig config, RewriteMetrics metrics, RewriteLog log, TimeProvider time)
{
    public Task Invoke(HttpContext context)
    {
        var route = MatchedRoute.Of(context, config);
        if (route?.Rewrite is not { } rewrite)
        {
            return next(context);
        }

        var target = TargetRewriter.Rewrite(context, route, rewrite, time);
        if (target is not null && DotSegments.In(target))
        {
            context.Features.Get<RequestExchange>()?.Reason = LocalReason.RewriteRefused;
            metrics.Refused(route.Id);
            log.RewriteRefused(route.Id, context.Request.Path.ToUriComponent(), target);
            return ErrorPage.WriteAsync(context, StatusCodes.Status400BadRequest);
        }

        var host = rewrite.Host?.Render(context, route, time);
        context.Features.Set(new RewrittenTarget(target, host));
        context.Features.Get<RequestExchange>()?.Rewritten = target;
        return next(context);
    }
}
