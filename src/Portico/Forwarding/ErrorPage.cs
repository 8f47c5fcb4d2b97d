using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Forwarding;

/// <summary>
/// The small page (HTML, or JSON for API clients) Portico answers with when it speaks for itself,
/// for both paths: the full path writes it through <see cref="WriteAsync"/>, the fast path writes
/// the same <see cref="Page"/> and <see cref="Page.Fields"/> as bytes. An operator's custom page
/// (`errorPages`) replaces it for its status, the route's over the top-level one.
/// </summary>
internal static class ErrorPage
{
    /// <summary>Portico's answer <paramref name="status"/>: the route's custom page for it, else the top-level one, else the built-in page.</summary>
    public static Task WriteAsync(HttpContext context, int status)
    {
        var config = context.RequestServices?.GetService<ActiveConfig>();
        var route = config is null ? null : MatchedRoute.Of(context, config);
        return WriteAsync(context, status, Custom(status, config?.Current.Settings, route), route, retryAfter: null, detail: null);
    }

    /// <summary>
    /// Writes <paramref name="custom"/> (or, when null, the built-in page with <paramref name="detail"/>, or the
    /// status's own) as the whole response, with Retry-After when given.
    /// </summary>
    public static Task WriteAsync(HttpContext context, int status, ErrorPageSettings? custom, RouteSettings? route, string? retryAfter, string? detail)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = status;
        // Clear() dropped the id the observability stage set; the client still gets it (a field of the page).
        var time = custom is null ? null : context.RequestServices?.GetService<TimeProvider>();
        var values = new PageContext(status, context.TraceIdentifier, route?.Id, custom is null ? IPAddress.None : ClientAddress.Of(context), (time ?? TimeProvider.System).GetUtcNow());
        var page = Of(values, context.Request.Headers.Accept.ToString(), custom, retryAfter, detail);
        foreach (var (name, value) in page.Fields)
        {
            response.Headers[name] = value;
        }

        // Framed by length, as the fast path frames it, so both paths send the same bytes.
        response.ContentLength = page.Body.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }

        return response.Body.WriteAsync(page.Body).AsTask();
    }

    /// <summary>The custom page for <paramref name="status"/>: the route's, else the top-level one; null for the built-in page.</summary>
    public static ErrorPageSettings? Custom(int status, PorticoSettings? settings, RouteSettings? route)
        => route?.ErrorPages.GetValueOrDefault(status) ?? settings?.ErrorPages.GetValueOrDefault(status);

    /// <summary>
    /// The page both paths send: <paramref name="custom"/> rendered for <paramref name="values"/>, whatever
    /// the client accepts (the operator chose its type); else the built-in page, JSON when
    /// <paramref name="accept"/> (the request's Accept) names json, else HTML.
    /// </summary>
    public static Page Of(in PageContext values, string accept, ErrorPageSettings? custom, string? retryAfter, string? detail)
    {
        if (custom is not null)
        {
            return new Page(values.Status, custom.ContentType, PageTemplate.Render(custom, values), values.RequestId, retryAfter);
        }

        var (contentType, body) = Render(values.Status, values.RequestId, accept.Contains("json", StringComparison.OrdinalIgnoreCase), detail ?? Detail(values.Status));
        return new Page(values.Status, contentType, Encoding.UTF8.GetBytes(body), values.RequestId, retryAfter);
    }

    /// <summary>The page's content type and body: JSON when the client accepts it, else HTML.</summary>
    private static (string ContentType, string Body) Render(int status, string requestId, bool json, string detail)
    {
        var reason = ReasonPhrases.GetReasonPhrase(status);
        return json
            ? ("application/json; charset=utf-8", $$"""{"status":{{status}},"error":"{{reason}}","detail":"{{detail}}","requestId":"{{requestId}}"}""")
            // A client picks its own request id (visible ASCII, RequestIds): as HTML text it is escaped.
            : ("text/html; charset=utf-8", $"<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n<body><h1>{status} {reason}</h1>\n<p>{detail}</p>\n<p><small>request {WebUtility.HtmlEncode(requestId)}</small></p></body></html>\n");
    }

    private static string Detail(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request is malformed.",
        StatusCodes.Status401Unauthorized => "Authentication is required.",
        StatusCodes.Status403Forbidden => "This request was refused.",
        StatusCodes.Status404NotFound => "No route matches this request.",
        StatusCodes.Status405MethodNotAllowed => "This method is not allowed here.",
        StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
        StatusCodes.Status414UriTooLong => "The URL is too long.",
        StatusCodes.Status421MisdirectedRequest => "This server does not serve that host.",
        StatusCodes.Status429TooManyRequests => "Too many requests; retry later.",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "The request headers are too large.",
        StatusCodes.Status501NotImplemented => "This server does not support this method.",
        StatusCodes.Status502BadGateway => "The upstream server could not be reached or sent an invalid response.",
        StatusCodes.Status503ServiceUnavailable => "No upstream server is available to handle this request.",
        StatusCodes.Status504GatewayTimeout => "The upstream server did not answer in time.",
        _ => "The request could not be completed.",
    };

    /// <summary>One error page, ready to send.</summary>
    public sealed record Page(int Status, string ContentType, byte[] Body, string RequestId, string? RetryAfter = null)
    {
        /// <summary>"HTTP/1.1 " and this, then the fields, on the fast path.</summary>
        public string StatusLine => $"{Status} {ReasonPhrases.GetReasonPhrase(Status)}";

        /// <summary>The fields the page is sent with, besides the framing and Date each server adds. Never stored: a retry may succeed.</summary>
        public (string Name, string Value)[] Fields => RetryAfter is null
            ? [("Content-Type", ContentType), ("Cache-Control", "no-store"), (RequestIds.Header, RequestId)]
            : [("Content-Type", ContentType), ("Cache-Control", "no-store"), (RequestIds.Header, RequestId), ("Retry-After", RetryAfter)];
    }
}
