using System.Net;
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
    public static string Of(HttpContext context, RateLimitKeySpec spec) => Of(new ContextRequest(context), spec);

    /// <summary>The key of a request read through <paramref name="request"/> (the fast path's head, or an HttpContext).</summary>
    public static string Of<TRequest>(TRequest request, RateLimitKeySpec spec)
        where TRequest : IRateLimitRequest
        => spec.Kind switch
        {
            RateLimitKeyKind.Header when request.Header(spec.Name) is { Length: > 0 } value => "header:" + value,
            RateLimitKeyKind.ApiKey when ApiKey(request) is { } key => "api-key:" + Fingerprint(key),
            // Whatever authentication put on HttpContext.User; claims from any scheme count.
            RateLimitKeyKind.Claim when request.Claim(spec.Name) is { Length: > 0 } claim => "claim:" + claim,
            _ => "ip:" + request.Client(),
        };

    /// <summary>X-Api-Key, or the credentials of `Authorization: Bearer|ApiKey …`.</summary>
    private static string? ApiKey<TRequest>(TRequest request)
        where TRequest : IRateLimitRequest
    {
        if (request.Header("X-Api-Key") is { Length: > 0 } header)
        {
            return header;
        }

        var authorization = request.Header("Authorization");
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

    /// <summary>The full pipeline's request.</summary>
    private readonly struct ContextRequest(HttpContext context) : IRateLimitRequest
    {
        public string Header(string name) => context.Request.Headers[name].ToString();

        public string? Claim(string type) => context.User.FindFirst(type)?.Value;

        public IPAddress Client() => ClientAddress.Of(context);
    }
}
