using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;
using Portico.Routing;

namespace Portico.FastPath;

/// <summary>
/// The one rewrite the fast path does, a route's `rewrite.pathPrefix` alone (RewriteStage says
/// which routes): the same prefix replacement as the full path (Routing's TargetRewriter), on
/// a target the fast path takes only when it is what the full path would build. Its path has no
/// '%', no dot segment and no "//" (RequestHead), and here nothing outside RFC 3986's pchar and
/// '/', which the full path would percent-encode (PathString.ToUriComponent); the query goes as
/// sent on both.
/// </summary>
internal static class FastRewrite
{
    private static readonly SearchValues<byte> PathBytes = SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/"u8);

    /// <summary>Whether <paramref name="route"/>'s requests have their target rewritten here.</summary>
    public static bool Applies(RouteSettings route) => route.Rewrite is { PathPrefix: not null };

    /// <summary>Whether the full path would send <paramref name="path"/> (a plain path) as it is.</summary>
    public static bool Verbatim(ReadOnlySpan<byte> path) => !path.ContainsAnyExcept(PathBytes);

    /// <summary>The target the backend gets, as the full path's RewriteMiddleware builds it.</summary>
    public static string Target(RequestHead head, RouteSettings route)
    {
        var path = Encoding.ASCII.GetString(head[head.Path]);
        var query = Encoding.ASCII.GetString(head.Bytes.Span[head.Path.End..head.Target.End]);
        return TargetRewriter.ReplacePrefix(path, route.Match.PathPrefix ?? "/", route.Rewrite!.PathPrefix!) + query;
    }

    /// <summary>
    /// The names to turn back in a response of <paramref name="route"/>: the fast path sends the
    /// client's Host (a route with `preserveHost: false` is not taken) to <paramref name="destination"/>;
    /// the client's own URL has its scheme (<paramref name="scheme"/>), as the full path's request has.
    /// </summary>
    public static BackMapping Mapping(RequestHead head, string scheme, RouteSettings route, string destination)
    {
        var host = Encoding.Latin1.GetString(head[head.Host]);
        return new BackMapping(host, new Uri(destination).Authority, scheme + "://" + host, new HostString(host).Host, (route.Rewrite!.PathPrefix!, route.Match.PathPrefix ?? "/"));
    }

    /// <summary>
    /// The backend's response head with `Location`, `Content-Location` and `Set-Cookie` turned back
    /// (Routing's BackMapping, as the full path's RewriteBackTransform); null when no line changes.
    /// </summary>
    public static byte[]? MapBack(ReadOnlySpan<byte> head, BackMapping mapping)
    {
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var changed = false;
        for (var i = 1; i < lines.Length; i++)
        {
            var colon = lines[i].IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var name = lines[i][..colon];
            var value = lines[i][(colon + 1)..].Trim(' ', '\t');
            var mapped = name.Equals("Location", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Location", StringComparison.OrdinalIgnoreCase) ? mapping.Location(value)
                : name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase) ? mapping.Cookie(value)
                : value;
            if (!ReferenceEquals(mapped, value) && mapped != value)
            {
                lines[i] = name + ": " + mapped;
                changed = true;
            }
        }

        return changed ? Encoding.Latin1.GetBytes(string.Join("\r\n", lines)) : null;
    }
}
