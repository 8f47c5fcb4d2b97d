using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Observability;
using Portico.Security.Limits;
using Yarp.ReverseProxy.Model;

namespace Portico.Security;

/// <summary>
/// Stage 2 once the route is known: the route's IP rules (403), then the request limits, each the
/// route's value or else the global one: methods (405), URL length (414), header count and size
/// (431), body size (413, from Content-Length at once, or while a body without one streams).
/// </summary>
internal sealed class RouteGuardMiddleware(RequestDelegate next, ActiveConfig config)
{
    public Task Invoke(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is not { } model)
        {
            return next(context);
        }

        var snapshot = config.Current;
        var route = snapshot.Route(model.Config.RouteId);
        var global = snapshot.Settings.Limits;
        var own = route?.Limits;
        if (route?.IpRules is { } rules && !rules.Permits(ClientAddress.Of(context)))
        {
            return Refusal.WriteAsync(context, StatusCodes.Status403Forbidden, LocalReason.IpDenied, $"route '{route.Id}' ipRules");
        }

        var request = context.Request;
        var methods = own?.Methods ?? global.Methods;
        if (methods.Count > 0 && !Contains(methods, request.Method))
        {
            return Refusal.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, LocalReason.MethodNotAllowed, $"method {request.Method} not allowed",
                headers: [new("Allow", string.Join(", ", methods))]);
        }

        if ((own?.MaxUrlLength ?? global.MaxUrlLength) is { } maxUrl && TargetLength(context) > maxUrl)
        {
            return Refusal.WriteAsync(context, StatusCodes.Status414UriTooLong, LocalReason.UrlTooLong, $"URL longer than {maxUrl} bytes");
        }

        if (own is { MaxHeaderCount: not null } or { MaxHeadersSize: not null } && HeadersOver(request.Headers, own) is { } headers)
        {
            return Refusal.WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, LocalReason.HeadersTooLarge, headers);
        }

        if ((own?.MaxBodySize ?? global.MaxBodySize) is not { } maxBody)
        {
            return next(context);
        }

        if (request.ContentLength > maxBody)
        {
            return Refusal.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, LocalReason.BodyTooLarge, $"Content-Length above {maxBody} bytes", close: true);
        }

        return request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
            ? LimitStreamingBodyAsync(context, maxBody)
            : next(context);
    }

    private async Task LimitStreamingBodyAsync(HttpContext context, long maxBody)
    {
        var limited = new BodyLimitStream(context.Request.Body, maxBody);
        context.Request.Body = limited;
        await next(context);
        if (limited.Exceeded && !context.Response.HasStarted)
        {
            await Refusal.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, LocalReason.BodyTooLarge, $"body above {maxBody} bytes", close: true);
        }
    }

    private static bool Contains(IReadOnlyList<string> methods, string method)
    {
        foreach (var m in methods)
        {
            if (string.Equals(m, method, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static int TargetLength(HttpContext context)
        => context.Features.Get<IHttpRequestFeature>()?.RawTarget?.Length ?? (context.Request.Path.Value?.Length ?? 0) + context.Request.QueryString.Value?.Length ?? 0;

    // Counted as HTTP/1.1 would carry them: one "name: value" line, CRLF included, per value.
    private static string? HeadersOver(IHeaderDictionary headers, RouteLimitsSettings limits)
    {
        var count = 0;
        long size = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                count++;
                size += name.Length + 4 + (value?.Length ?? 0);
            }
        }

        return count > limits.MaxHeaderCount ? $"more than {limits.MaxHeaderCount} header fields"
            : size > limits.MaxHeadersSize ? $"header section above {limits.MaxHeadersSize} bytes"
            : null;
    }
}
