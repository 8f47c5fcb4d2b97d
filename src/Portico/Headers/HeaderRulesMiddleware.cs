using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Pipeline;

namespace Portico.Headers;

/// <summary>
/// The `response` header rules, the top-level ones then the route's, on every response the client
/// gets once routing has run: forwarded ones, cache hits and Portico's own answers (403, 404, 429,
/// 502–504) alike. They run as the response starts, after every stage below has written its
/// fields, so the cache stores the backend's fields and each hit gets fresh values.
/// </summary>
internal sealed class HeaderRulesMiddleware(RequestDelegate next, ActiveConfig config, TimeProvider time)
{
    public Task Invoke(HttpContext context)
    {
        var defaults = config.Current.Settings.Headers?.Response;
        var route = MatchedRoute.Of(context, config);
        var own = route?.Headers?.Response;
        if (defaults is null or [] && own is null or [])
        {
            return next(context);
        }

        context.Response.OnStarting(ApplyAsync, new Pending(time, context, route, defaults, own));
        return next(context);
    }

    private static Task ApplyAsync(object state)
    {
        var (time, context, route, defaults, own) = (Pending)state;
        var headers = context.Response.Headers;
        foreach (var rules in (ReadOnlySpan<IReadOnlyList<HeaderRule>?>)[defaults, own])
        {
            foreach (var rule in rules ?? [])
            {
                var value = rule.Value?.Render(context, route, time);
                switch (rule.Action)
                {
                    case HeaderAction.Remove:
                        headers.Remove(rule.Name);
                        break;
                    case HeaderAction.Set:
                        headers[rule.Name] = value;
                        break;
                    default:
                        headers.Append(rule.Name, value);
                        break;
                }
            }
        }

        return Task.CompletedTask;
    }

    private sealed record Pending(TimeProvider Time, HttpContext Context, RouteSettings? Route, IReadOnlyList<HeaderRule>? Defaults, IReadOnlyList<HeaderRule>? Own);
}
