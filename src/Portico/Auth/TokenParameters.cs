using Microsoft.IdentityModel.Tokens;

namespace Portico.Auth;

/// <summary>
/// The validation both JWT bearer tokens and OIDC ID tokens get: signed (never `alg: none`, RFC
/// 8725 §3.1) with one of the given keys and algorithms, from an accepted issuer, for an accepted
/// audience, with an `exp` that has not passed (give or take the skew).
/// </summary>
internal static class TokenParameters
{
    public static TokenValidationParameters Strict(IEnumerable<string> issuers, IEnumerable<string> audiences, IEnumerable<string> algorithms, IEnumerable<SecurityKey> keys, TimeSpan clockSkew) => new()
    {
        ValidIssuers = issuers,
        ValidAudiences = audiences,
        ValidAlgorithms = algorithms,
        IssuerSigningKeys = keys,
        ClockSkew = clockSkew,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateIssuerSigningKey = true,
    };
}
