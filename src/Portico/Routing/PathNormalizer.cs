using System.Text;
using Portico.Configuration.Model;

namespace Portico.Routing;

/// <summary>
/// The one spelling a route's `normalize` wants of a path, worked on the path as sent
/// (percent-encoded), so the redirect's `Location` keeps every escape: a `%2F` is never turned
/// into a '/', and lower-casing leaves the hex digits of an escape alone (RFC 3986 §6.2.2.1
/// makes `%2f` and `%2F` the same anyway).
/// </summary>
internal static class PathNormalizer
{
    /// <summary>The normalized form of <paramref name="path"/>, or null when it already is.</summary>
    public static string? Normalize(string path, NormalizeSettings normalize)
    {
        var result = normalize.Lowercase ? Lower(path) : path;
        switch (normalize.TrailingSlash)
        {
            case TrailingSlash.Add when !result.EndsWith('/') && !result[(result.LastIndexOf('/') + 1)..].Contains('.'):
                result += "/";
                break;
            case TrailingSlash.Remove when result.Length > 1 && result.EndsWith('/'):
                result = result.TrimEnd('/');
                result = result.Length == 0 ? "/" : result;
                break;
        }

        return result == path ? null : result;
    }

    private static string Lower(string path)
    {
        if (!path.Any(char.IsAsciiLetterUpper))
        {
            return path;
        }

        var text = new StringBuilder(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length)
            {
                text.Append(path, i, 3);
                i += 2;
                continue;
            }

            text.Append(char.ToLowerInvariant(path[i]));
        }

        return text.ToString();
    }
}
