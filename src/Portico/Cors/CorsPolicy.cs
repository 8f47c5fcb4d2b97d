using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portico.Configuration.Model;

namespace Portico.Cors;

/// <summary>
/// The CORS protocol (Fetch standard §3.2) for one route's settings: which origins it allows and
/// the fields a preflight or an actual response carries for one of them.
/// </summary>
internal static class CorsPolicy
{
    /// <summary>The fields of the CORS protocol on a response; the backend's are replaced, Portico speaks CORS for the route.</summary>
    public static readonly string[] ResponseFields =
    [
        "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
    ];

    /// <summary>What Access-Control-Allow-Origin says to <paramref name="origin"/>, or null when it is not allowed.</summary>
    public static string? AllowedOrigin(CorsSettings cors, string origin)
    {
        foreach (var allowed in cors.AllowOrigins)
        {
            if (allowed == "*")
            {
                // With credentials `*` is refused at load; without them it is the literal answer.
                return "*";
            }

            if (allowed.Equals(origin, StringComparison.OrdinalIgnoreCase) || MatchesWildcard(allowed, origin))
            {
                return origin;
            }
        }

        return null;
    }

    /// <summary>`https://*.example.com` allows https://a.example.com and https://a.b.example.com, not https://example.com.</summary>
    private static bool MatchesWildcard(string allowed, string origin)
    {
        var star = allowed.IndexOf("://*.", StringComparison.Ordinal);
        if (star < 0)
        {
            return false;
        }

        var scheme = allowed[..(star + 3)];
        var suffix = allowed[(star + 4)..];
        return origin.Length > scheme.Length + suffix.Length
               && origin.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
               && origin.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
               && !origin.AsSpan(scheme.Length, origin.Length - scheme.Length - suffix.Length).ContainsAny('/', '@');
    }

    /// <summary>The fields of an actual (non-preflight) response to an allowed origin.</summary>
    public static void AddActualFields(IHeaderDictionary headers, CorsSettings cors, string allowOrigin)
    {
        headers["Access-Control-Allow-Origin"] = allowOrigin;
        if (cors.AllowCredentials)
        {
            headers["Access-Control-Allow-Credentials"] = "true";
        }

        if (cors.ExposeHeaders.Count > 0)
        {
            headers["Access-Control-Expose-Headers"] = string.Join(", ", cors.ExposeHeaders);
        }
    }

    /// <summary>
    /// The fields of a preflight's answer when <paramref name="method"/> and every header in
    /// <paramref name="requestHeaders"/> are allowed; false (and no fields) otherwise, which the
    /// browser takes as a refusal.
    /// </summary>
    public static bool TryAddPreflightFields(IHeaderDictionary headers, CorsSettings cors, string allowOrigin, string method, StringValues requestHeaders)
    {
        if (!cors.AllowMethods.Contains(method, StringComparer.Ordinal))
        {
            return false;
        }

        var asked = requestHeaders.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var anyHeader = cors.AllowHeaders.Contains("*");
        if (!anyHeader && asked.Any(h => !cors.AllowHeaders.Contains(h, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        headers["Access-Control-Allow-Origin"] = allowOrigin;
        if (cors.AllowCredentials)
        {
            headers["Access-Control-Allow-Credentials"] = "true";
        }

        headers["Access-Control-Allow-Methods"] = string.Join(", ", cors.AllowMethods);
        if (asked.Length > 0)
        {
            headers["Access-Control-Allow-Headers"] = string.Join(", ", asked);
        }

        if (cors.MaxAge is { } maxAge)
        {
            headers["Access-Control-Max-Age"] = ((long)maxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        return true;
    }
}
