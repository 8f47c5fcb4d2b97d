using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Routing;

/// <summary>
/// A route's `normalize` and `redirects`: answers with a redirect (RFC 9110 §15.4) when the
/// path is not in the route's one spelling, or when a rule of the table matches it (the first
/// that does). A route without a cluster answers 404 to what no rule takes.
/// </summary>
internal sealed class RedirectMiddleware(RequestDelegate next, ActiveConfig config, RewriteMetrics metrics, RewriteLog log, TimeProvider time)
{
    public Task Invoke(HttpContext context)
    {
        var route = MatchedRoute.Of(context, config);
        if (route is null || (route.Redirects.Count == 0 && route.Normalize is null))
        {
            return next(context);
        }

        var request = context.Request;
        var query = request.QueryString.Value ?? "";
        if (route.Normalize is { } normalize && PathNormalizer.Normalize(request.Path.ToUriComponent(), normalize) is { } normal)
        {
            return Answer(context, route, normalize.Status, normal + query);
        }

        var path = request.Path.Value ?? "/";
        foreach (var rule in route.Redirects)
        {
            if (Matches(rule, path, out var captured))
            {
                var target = rule.To.RenderUrl(context, route, time, captured, inQuery: false);
                if (rule.KeepQuery && query.Length > 0)
                {
                    // As nginx's `return … $uri$is_args$args`: the client's parameters follow the target's own.
                    target += target.Contains('?') ? "&" + query[1..] : query;
                }

                return Answer(context, route, rule.Status, target);
            }
        }

        if (route.Cluster is null)
        {
            context.Features.Get<RequestExchange>()?.Reason = LocalReason.NoRoute;
            return ErrorPage.WriteAsync(context, StatusCodes.Status404NotFound);
        }

        return next(context);
    }

    private static bool Matches(RedirectRule rule, string path, out Match? captured)
    {
        captured = null;
        if (rule.Path is not null)
        {
            return rule.Path == path;
        }

        try
        {
            captured = rule.PathRegex!.Match(path);
            return captured.Success;
        }
        catch (RegexMatchTimeoutException)
        {
            // The same budget routing gives its patterns; past it the rule does not match.
            return false;
        }
    }

    private Task Answer(HttpContext context, RouteSettings route, int status, string location)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.Headers.Location = location;
        context.Features.Get<RequestExchange>()?.Reason = LocalReason.Redirect;
        metrics.Redirected(route.Id, status);
        log.Redirected(route.Id, context.Request.Path.ToUriComponent(), status, location);
        return Task.CompletedTask;
    }
}
