using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Security;
using Yarp.ReverseProxy.Model;

namespace Portico.RateLimiting;

/// <summary>
/// Stage 2, after the route's other guards: counts the request against the route's `rateLimit`
/// before anything is forwarded; over the limit it is answered 429 with Retry-After. Every
/// answer on such a route carries RateLimit-Policy and RateLimit.
/// </summary>
internal sealed class RateLimitMiddleware(RequestDelegate next, ActiveConfig config, IRateLimitStore store)
{
    public Task Invoke(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is not { } model
            || config.Current.Route(model.Config.RouteId)?.RateLimit is not { } policy)
        {
            return next(context);
        }

        return LimitAsync(context, policy);
    }

    private async Task LimitAsync(HttpContext context, RateLimitSettings policy)
    {
        var decision = await store.AcquireAsync(policy, RateLimitKeys.Of(context, policy.Key), context.RequestAborted);
        var policyHeader = RateLimitHeaders.Policy(policy);
        var current = RateLimitHeaders.Current(policy, decision);
        if (!decision.Allowed)
        {
            await Refusal.WriteAsync(context, StatusCodes.Status429TooManyRequests, LocalReason.RateLimited, $"route '{policy.Name}' rate limit",
                headers: [new("Retry-After", RateLimitHeaders.RetryAfter(decision)), new("RateLimit-Policy", policyHeader), new("RateLimit", current)]);
            return;
        }

        context.Response.OnStarting(() =>
        {
            context.Response.Headers["RateLimit-Policy"] = policyHeader;
            context.Response.Headers["RateLimit"] = current;
            return Task.CompletedTask;
        });
        await next(context);
    }
}
