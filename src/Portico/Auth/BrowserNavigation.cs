using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Portico.Auth;

/// <summary>
/// Whether a request without a session is a browser that can follow a login redirect, or an API
/// client that must get 401 instead: a GET or HEAD that accepts HTML (RFC 9110 §12.5.1) or that
/// the browser marks as a navigation (Fetch `Sec-Fetch-Mode: navigate`). Anything else (a
/// POST, `Accept: application/json`, `Accept: */*` as curl and scripts send) is an API request:
/// a redirect would turn its call into an HTML login page it cannot use.
/// </summary>
internal static class BrowserNavigation
{
    public static bool Is(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }

        if (string.Equals(request.Headers["Sec-Fetch-Mode"].ToString(), "navigate", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var value in request.Headers[HeaderNames.Accept])
        {
            if (value is not null && value.Contains("text/html", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
