using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;

namespace Portico.Routing;

/// <summary>
/// A route's `rewrite` of the path (prefix replaced, or a template with captures) and query
/// (parameters removed, set, appended), on the target as sent: the path is the request's in its
/// percent-encoded form, captures are encoded where they land (ValueTemplate.RenderUrl), the query
/// keeps the client's bytes. Nothing here decodes, so a `%2F` reaches the backend as `%2F`.
/// </summary>
internal static class TargetRewriter
{
    /// <summary>The path and query for the backend, or null when the rewrite leaves both as they are.</summary>
    public static string? Rewrite(HttpContext context, RouteSettings route, RewriteSettings rewrite, TimeProvider time)
    {
        var request = context.Request;
        var path = Path(context, route, rewrite, time, out var templateQuery);
        var query = request.QueryString.Value ?? "";
        if (templateQuery is not null)
        {
            // As nginx's rewrite: parameters the new target names come first, the client's after them.
            query = query.Length > 0 ? templateQuery + "&" + query[1..] : templateQuery;
        }

        if (rewrite.Query.Count > 0)
        {
            query = QueryRewriter.Apply(query, rewrite.Query, context, route, time);
        }

        return path is null && templateQuery is null && rewrite.Query.Count == 0 ? null : (path ?? request.Path.ToUriComponent()) + query;
    }

    private static string? Path(HttpContext context, RouteSettings route, RewriteSettings rewrite, TimeProvider time, out string? templateQuery)
    {
        templateQuery = null;
        var request = context.Request;
        if (rewrite.PathPrefix is { } replacement)
        {
            return ReplacePrefix(request.Path.ToUriComponent(), route.Match.PathPrefix ?? "/", replacement);
        }

        if (rewrite.Path is not { } template)
        {
            return null;
        }

        Match? captured = null;
        if (rewrite.PathRegex is { } regex)
        {
            try
            {
                captured = regex.Match(request.Path.Value ?? "/");
            }
            catch (RegexMatchTimeoutException)
            {
                return null;
            }

            if (!captured.Success)
            {
                return null;
            }
        }

        var target = template.RenderUrl(context, route, time, captured, inQuery: false);
        var mark = target.IndexOf('?');
        if (mark >= 0)
        {
            templateQuery = target[mark..];
            target = target[..mark];
        }

        return target.Length == 0 ? "/" : target;
    }

    /// <summary>
    /// <paramref name="path"/> with the route's <paramref name="prefix"/> (which routing matched,
    /// case-insensitively) replaced by <paramref name="replacement"/>: `/api/x` with `/api` → `/v2`
    /// is `/v2/x`; with `/`, `/x`.
    /// </summary>
    public static string ReplacePrefix(string path, string prefix, string replacement)
    {
        var rest = path[Math.Min(prefix.TrimEnd('/').Length, path.Length)..];
        var result = replacement.TrimEnd('/') + rest;
        return result.Length == 0 ? "/" : result;
    }
}
