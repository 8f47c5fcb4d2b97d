using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Pipeline;

namespace Portico.Cors;

/// <summary>
/// A route's `cors`: answers a preflight (OPTIONS with Origin and Access-Control-Request-Method)
/// itself, so it never reaches the backend, and adds the CORS fields to the route's other
/// responses for an allowed origin. A disallowed origin gets no CORS fields, which the browser
/// takes as a refusal; the backend's own CORS fields are replaced, since Portico speaks for the route.
/// </summary>
internal sealed class CorsMiddleware(RequestDelegate next, ActiveConfig config, CorsMetrics metrics)
{
    public Task Invoke(HttpContext context)
    {
        var route = MatchedRoute.Of(context, config);
        if (route?.Cors is not { } cors)
        {
            return next(context);
        }

        var request = context.Request;
        var origin = request.Headers.Origin.ToString();
        var allowOrigin = origin.Length == 0 ? null : CorsPolicy.AllowedOrigin(cors, origin);
        if (HttpMethods.IsOptions(request.Method) && origin.Length > 0 && request.Headers.AccessControlRequestMethod.Count > 0)
        {
            return PreflightAsync(context, route, cors, allowOrigin);
        }

        context.Response.OnStarting(Finish, (context.Response, cors, allowOrigin));
        return next(context);
    }

    private Task PreflightAsync(HttpContext context, RouteSettings route, CorsSettings cors, string? allowOrigin)
    {
        var response = context.Response;
        var request = context.Request;
        response.StatusCode = StatusCodes.Status204NoContent;
        // The answer depends on these request fields, so a shared cache must key on them (Fetch §3.2.5).
        response.Headers.Vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
        var allowed = allowOrigin is not null
                      && CorsPolicy.TryAddPreflightFields(response.Headers, cors, allowOrigin, request.Headers.AccessControlRequestMethod.ToString(), request.Headers.AccessControlRequestHeaders);
        metrics.Preflight(route.Id, allowed);
        context.Features.Get<Observability.RequestExchange>()?.Reason = Observability.LocalReason.CorsPreflight;
        return Task.CompletedTask;
    }

    private static Task Finish(object state)
    {
        var (response, cors, allowOrigin) = ((HttpResponse, CorsSettings, string?))state;
        var headers = response.Headers;
        foreach (var field in CorsPolicy.ResponseFields)
        {
            headers.Remove(field);
        }

        // Whether the fields are there depends on Origin, so caches must not reuse one origin's answer for another.
        headers.Append("Vary", "Origin");
        if (allowOrigin is not null)
        {
            CorsPolicy.AddActualFields(headers, cors, allowOrigin);
        }

        return Task.CompletedTask;
    }
}
