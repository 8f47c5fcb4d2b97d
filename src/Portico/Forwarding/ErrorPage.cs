using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Portico.Observability;

namespace Portico.Forwarding;

/// <summary>The small page (HTML, or JSON for API clients) Portico answers with when it speaks for itself.</summary>
internal static class ErrorPage
{
    public static Task WriteAsync(HttpContext context, int status)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = status;
        response.Headers.CacheControl = "no-store";
        var requestId = context.TraceIdentifier;
        // Clear() dropped the id the observability stage set; the client still gets it.
        response.Headers[RequestIds.Header] = requestId;
        var (contentType, body) = Render(status, requestId, context.Request.Headers.Accept.ToString().Contains("json", StringComparison.OrdinalIgnoreCase));
        response.ContentType = contentType;

        if (HttpMethods.IsHead(context.Request.Method))
        {
            response.ContentLength = Encoding.UTF8.GetByteCount(body);
            return Task.CompletedTask;
        }

        return response.WriteAsync(body, Encoding.UTF8);
    }

    /// <summary>The page's content type and body: JSON when the client accepts it, else HTML.</summary>
    public static (string ContentType, string Body) Render(int status, string requestId, bool json)
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
}
