using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;
using Portico.Pipeline;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Routing;

/// <summary>
/// On a route whose `rewrite` changes the path or the Host, turns the backend's view back into
/// the client's in what it answers (nginx's proxy_redirect, proxy_cookie_path and
/// proxy_cookie_domain): a `Location` or `Content-Location` (RFC 9110 §10.2.2, §8.7) at the
/// backend's host gets the client's scheme and Host, and under the rewritten prefix the client's
/// prefix; a `Set-Cookie` (RFC 6265 §5.2.3, §5.2.4) `Domain` of the backend's host becomes the
/// client's, its `Path` under the rewritten prefix the client's. Only a `pathPrefix` rewrite can
/// be turned back; a template's cannot (many paths may give one).
/// </summary>
internal sealed class RewriteBackTransform(ActiveConfig config) : ResponseTransform
{
    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var http = context.HttpContext;
        if (MatchedRoute.Of(http, config) is not { Rewrite: { } rewrite } route || (!rewrite.RewritesPath && rewrite.Host is null)
            || context.ProxyResponse?.RequestMessage is not { RequestUri: { } sent } message)
        {
            return ValueTask.CompletedTask;
        }

        var mapping = new BackMapping(
            message.Headers.Host ?? sent.Authority,
            sent.Authority,
            http.Request.Scheme + "://" + http.Request.Host.Value,
            http.Request.Host.Host,
            rewrite.PathPrefix is { } replacement ? (replacement, route.Match.PathPrefix ?? "/") : null);
        var headers = http.Response.Headers;
        foreach (var name in (ReadOnlySpan<string>)["Location", "Content-Location"])
        {
            if (headers.TryGetValue(name, out var value) && value.Count == 1)
            {
                headers[name] = mapping.Location(value.ToString());
            }
        }

        if (headers.SetCookie.Count > 0)
        {
            var cookies = headers.SetCookie.ToArray();
            for (var i = 0; i < cookies.Length; i++)
            {
                cookies[i] = mapping.Cookie(cookies[i]!);
            }

            headers.SetCookie = new StringValues(cookies);
        }

        return ValueTask.CompletedTask;
    }
}
