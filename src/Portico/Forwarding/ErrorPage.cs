using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Portico.Observability;

namespace Portico.Forwarding;

/// <summary>
/// The small page (HTML, or JSON for API clients) Portico answers with when it speaks for itself,
/// for both paths: the full path writes it through <see cref="WriteAsync"/>, the fast path writes
/// the same <see cref="Page"/> and <see cref="Page.Fields"/> as bytes.
/// </summary>
internal static class ErrorPage
{
    public static Task WriteAsync(HttpContext context, int status)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = status;
        // Clear() dropped the id the observability stage set; the client still gets it (a field of the page).
        var page = Of(status, context.TraceIdentifier, context.Request.Headers.Accept.ToString());
        foreach (var (name, value) in page.Fields)
        {
            response.Headers[name] = value;
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            response.ContentLength = page.Body.Length;
            return Task.CompletedTask;
        }

        return response.Body.WriteAsync(page.Body).AsTask();
    }

    /// <summary>The page for <paramref name="status"/>: JSON when <paramref name="accept"/> (the request's Accept) names json, else HTML.</summary>
    public static Page Of(int status, string requestId, string accept)
    {
        var (contentType, body) = Render(status, requestId, accept.Contains("json", StringComparison.OrdinalIgnoreCase));
        return new Page(status, contentType, Encoding.UTF8.GetBytes(body), requestId);
    }

    /// <summary>The page's content type and body: JSON when the client accepts it, else HTML.</summary>
    private static (string ContentType, string Body) Render(int status, string requestId, bool json)
    {
        var reason = ReasonPhrases.GetReasonPhrase(status);
        var detail = Detail(status);
        return json
            ? ("application/json; charset=utf-8", $$"""{"status":{{status}},"error":"{{reason}}","detail":"{{detail}}","requestId":"{{requestId}}"}""")
            : ("text/html; charset=utf-8", $"<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n<body><h1>{status} {reason}</h1>\n<p>{detail}</p>\n<p><small>request {requestId}</small></p></body></html>\n");
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
        StatusCodes.Status502BadGateway => "The upstream server could not be reached or sent an invalid response.",
        StatusCodes.Status503ServiceUnavailable => "No upstream server is available to handle this request.",
        StatusCodes.Status504GatewayTimeout => "The upstream server did not answer in time.",
        _ => "The request could not be completed.",
    };

    /// <summary>One error page, ready to send.</summary>
    public sealed record Page(int Status, string ContentType, byte[] Body, string RequestId)
    {
        /// <summary>"HTTP/1.1 " and this, then the fields, on the fast path.</summary>
        public string StatusLine => $"{Status} {ReasonPhrases.GetReasonPhrase(Status)}";

        /// <summary>The fields the page is sent with, besides the framing and Date each server adds. Never stored: a retry may succeed.</summary>
        public (string Name, string Value)[] Fields =>
        [
            ("Content-Type", ContentType),
            ("Cache-Control", "no-store"),
            (RequestIds.Header, RequestId),
        ];
    }
}
