using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;
using Portico.Forwarding;

namespace Portico.RateLimiting;

/// <summary>
/// The key a request is counted under. A request without the header, API key or claim the
/// policy names is counted by its client address instead, so leaving it out gains nothing.
/// </summary>
internal static class RateLimitKeys
{
    public static string Of(HttpContext context, RateLimitKeySpec spec) => spec.Kind switch
    {
        RateLimitKeyKind.Header when context.Request.Headers[spec.Name].ToString() is { Length: > 0 } value => "header:" + value,
        RateLimitKeyKind.ApiKey when ApiKey(context.Request) is { } key => "api-key:" + Fingerprint(key),
        // Whatever authentication put on HttpContext.User; claims from any scheme count.
        RateLimitKeyKind.Claim when context.User.FindFirst(spec.Name)?.Value is { Length: > 0 } claim => "claim:" + claim,
        _ => "ip:" + ClientAddress.Of(context),
    };

    /// <summary>X-Api-Key, or the credentials of `Authorization: Bearer|ApiKey …`.</summary>
    private static string? ApiKey(HttpRequest request)
    {
        if (request.Headers["X-Api-Key"].ToString() is { Length: > 0 } header)
        {
            return header;
        }

        var authorization = request.Headers.Authorization.ToString();
        foreach (var scheme in (ReadOnlySpan<string>)["Bearer ", "ApiKey "])
        {
            if (authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && authorization.Length > scheme.Length)
            {
                return authorization[scheme.Length..].Trim();
            }
        }

        return null;
    }

    // Counters are kept under a digest, so the store never holds the secret itself.
    private static string Fingerprint(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)), 0, 16);
}
