using System.Buffers;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Forwarding;

/// <summary>
/// Sends the query to the backend as the client sent it. YARP builds the backend URI with
/// System.Uri, which percent-encodes bytes RFC 3986 §3.4 leaves out of a query ('"', '&lt;', '{',
/// '|', …) and a '%' not followed by two hex digits, so `?a=%zz` arrived as `?a=%25zz`: a
/// different query from the one the fast path (and nginx) forwards, and a broken signature for
/// a backend that checks one. The framing check has already refused control bytes, spaces and
/// non-ASCII in the target. Runs only when the query holds such a byte; otherwise YARP's URI is
/// the same.
/// </summary>
internal sealed class RawQueryTransform : RequestTransform
{
    private static readonly UriCreationOptions Verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    // RFC 3986 §3.4: query = *( pchar / "/" / "?" ); '%' is checked for its two hex digits below.
    private static readonly SearchValues<char> QueryChars = SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?");

    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var query = context.HttpContext.Request.QueryString.Value;
        if (string.IsNullOrEmpty(query) || Canonical(query))
        {
            return ValueTask.CompletedTask;
        }

        var withoutQuery = RequestUtilities.MakeDestinationAddress(context.DestinationPrefix, context.Path, QueryString.Empty);
        context.ProxyRequest.RequestUri = new Uri(withoutQuery.AbsoluteUri + query, Verbatim);
        return ValueTask.CompletedTask;
    }

    /// <summary>Whether System.Uri keeps <paramref name="query"/> as it is.</summary>
    private static bool Canonical(string query)
    {
        var rest = query.AsSpan(1);
        while (true)
        {
            var odd = rest.IndexOfAnyExcept(QueryChars);
            if (odd < 0)
            {
                return true;
            }

            if (rest[odd] != '%' || odd + 2 >= rest.Length || !char.IsAsciiHexDigit(rest[odd + 1]) || !char.IsAsciiHexDigit(rest[odd + 2]))
            {
                return false;
            }

            rest = rest[(odd + 3)..];
        }
    }
}
