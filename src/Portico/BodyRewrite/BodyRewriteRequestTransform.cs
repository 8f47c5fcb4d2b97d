using Microsoft.Net.Http.Headers;
using Portico.Configuration;
using Portico.Pipeline;
using Yarp.ReverseProxy.Transforms;

namespace Portico.BodyRewrite;

/// <summary>
/// On a route with `bodyRewrite`, asks the backend for whole bodies: a range of the backend's
/// bytes cannot be rewritten, so `Range` and `If-Range` are not forwarded and the client gets
/// the whole rewritten body with 200 (RFC 9110 §14.2 lets a server ignore Range). With
/// `requestIdentity`, asks for an unencoded body as well (RFC 9110 §12.5.3: identity only;
/// leaving Accept-Encoding out would mean any coding).
/// </summary>
internal sealed class BodyRewriteRequestTransform(ActiveConfig config) : RequestTransform
{
    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        if (MatchedRoute.Of(context.HttpContext, config)?.BodyRewrite is { } settings)
        {
            RemoveHeader(context, HeaderNames.Range);
            RemoveHeader(context, HeaderNames.IfRange);
            if (settings.RequestIdentity)
            {
                RemoveHeader(context, HeaderNames.AcceptEncoding);
                AddHeader(context, HeaderNames.AcceptEncoding, "identity");
            }
        }

        return ValueTask.CompletedTask;
    }
}
