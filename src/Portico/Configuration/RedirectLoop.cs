using System.Text.RegularExpressions;
using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>
/// Whether a redirect rule would answer its own target again: a client (browsers stop after
/// about 20 hops) would go round until it gives up. Decidable at load for a literal target that
/// lands on the same route: a path, or an absolute URL whose host is one of the route's
/// `match.hosts`. A target with variables depends on the request and is not judged.
/// </summary>
internal static class RedirectLoop
{
    public static bool Finds(RedirectRule rule, RouteMatchSettings? match)
    {
        if (!rule.To.IsLiteral || match is null)
        {
            return false;
        }

        var target = rule.To.Parts[0].Text;
        if (!target.StartsWith('/'))
        {
            var authority = target[(target.IndexOf("://", StringComparison.Ordinal) + 3)..];
            var slash = authority.IndexOf('/');
            var host = slash < 0 ? authority : authority[..slash];
            if (!match.Hosts.Contains(host, StringComparer.OrdinalIgnoreCase))
            {
                return false;
            }

            target = slash < 0 ? "/" : authority[slash..];
        }

        var path = target.Split('?', 2)[0];
        if (match.PathPrefix is { } prefix && !UnderPrefix(path, prefix))
        {
            return false;
        }

        if (rule.Path is not null)
        {
            return rule.Path == path;
        }

        try
        {
            return rule.PathRegex!.IsMatch(path);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>Whether routing's `pathPrefix` takes <paramref name="path"/>: the prefix itself or below it, case-insensitively.</summary>
    internal static bool UnderPrefix(string path, string prefix)
    {
        var trimmed = prefix.TrimEnd('/');
        return trimmed.Length == 0
               || path.Equals(trimmed, StringComparison.OrdinalIgnoreCase)
               || (path.StartsWith(trimmed, StringComparison.OrdinalIgnoreCase) && path.Length > trimmed.Length && path[trimmed.Length] == '/');
    }
}
