using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Routing;

/// <summary>
/// Sends the <see cref="RewrittenTarget"/> <see cref="RewriteMiddleware"/> worked out: the backend
/// URI built verbatim from the destination and the rewritten path and query (System.Uri would
/// re-encode them otherwise, see Forwarding's RawQueryTransform), and the rewritten Host. Runs
/// after Forwarding's transforms, so the URI it sets is the one sent.
/// </summary>
internal sealed class RewriteTransform : RequestTransform
{
    private static readonly UriCreationOptions Verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        if (context.HttpContext.Features.Get<RewrittenTarget>() is not { } target)
        {
            return ValueTask.CompletedTask;
        }

        if (target.PathAndQuery is { } pathAndQuery)
        {
            var destination = RequestUtilities.MakeDestinationAddress(context.DestinationPrefix, PathString.Empty, QueryString.Empty).AbsoluteUri.TrimEnd('/');
            context.ProxyRequest.RequestUri = new Uri(destination + pathAndQuery, Verbatim);
        }

        if (target.Host is { } host)
        {
            context.ProxyRequest.Headers.Host = host;
        }

        return ValueTask.CompletedTask;
    }
}
