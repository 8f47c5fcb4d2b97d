using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;
using Portico.Headers;

namespace Portico.Routing;

/// <summary>
/// A route's `rewrite.query` rules on the query as the client sent it: parameters the rules do
/// not name keep their bytes and order. A name is compared after percent-decoding (`a%5Fb` is
/// `a_b`), since that is how a backend reads it.
/// </summary>
internal static class QueryRewriter
{
    public static string Apply(string query, IReadOnlyList<HeaderRule> rules, HttpContext context, RouteSettings route, TimeProvider time)
    {
        var pairs = query.Length > 1 ? query[1..].Split('&').Where(p => p.Length > 0).ToList() : [];
        foreach (var rule in rules)
        {
            if (rule.Action != HeaderAction.Append)
            {
                pairs.RemoveAll(p => NameOf(p) == rule.Name);
            }

            if (rule.Value is { } value)
            {
                pairs.Add(Uri.EscapeDataString(rule.Name) + "=" + value.RenderUrl(context, route, time, null, inQuery: true));
            }
        }

        return pairs.Count == 0 ? "" : "?" + string.Join('&', pairs);
    }

    private static string NameOf(string pair)
    {
        var equals = pair.IndexOf('=');
        var raw = equals < 0 ? pair : pair[..equals];
        return Uri.UnescapeDataString(raw.Replace('+', ' '));
    }
}
