using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Net.Http.Headers;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>
/// `auth.jwt`: an RFC 6750 bearer token validated by Microsoft.IdentityModel's JsonWebTokenHandler
/// (the one ASP.NET Core's JwtBearer handler uses): signature with the route's keys and an
/// allowed algorithm (never `none`), issuer, audience, and `exp`/`nbf` within the clock skew.
/// The caller is named by `nameClaim`; `roleClaim` values become roles, `scp` values scopes.
/// </summary>
internal sealed class JwtAuthenticator(string routeId, JwtAuthSettings settings, ISigningKeys keys) : IAuthenticator
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public string Scheme => AuthSchemeNames.Jwt;

    // RFC 6750 §3: no error code when no token was sent; invalid_token when one was refused.
    public string? Challenge(bool refused) => refused ? "Bearer error=\"invalid_token\"" : "Bearer";

    public async ValueTask<AuthAttempt> AuthenticateAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthAttempt.None;
        }

        var token = authorization[7..].Trim();
        var log = context.RequestServices.GetRequiredService<AuthLog>();
        var ct = context.RequestAborted;
        var signing = await keys.KeysAsync(log, ct);
        if (KeyId(token) is { } kid && !signing.Any(k => k.KeyId == kid) && await keys.RefreshAsync(log, ct))
        {
            signing = await keys.KeysAsync(log, ct);
        }

        var result = await _handler.ValidateTokenAsync(token, Parameters(signing));
        if (!result.IsValid)
        {
            log.TokenRefused(routeId, result.Exception?.GetType().Name ?? "invalid");
            return AuthAttempt.Refused;
        }

        var claims = result.ClaimsIdentity.Claims.ToList();
        if (claims.FirstOrDefault(c => c.Type == settings.NameClaim)?.Value is not { Length: > 0 } name)
        {
            log.TokenRefused(routeId, $"no '{settings.NameClaim}' claim");
            return AuthAttempt.Refused;
        }

        claims.AddRange(claims.Where(c => c.Type == settings.RoleClaim).Select(c => new Claim(ClaimTypes.Role, c.Value)).ToArray());
        claims.AddRange(claims.Where(c => c.Type == "scp").Select(c => new Claim(AuthIdentity.ScopeClaim, c.Value)).ToArray());
        return AuthAttempt.Success(new AuthIdentity(Scheme, name, claims));
    }

    public void RemoveCredentials(HttpRequest request) => request.Headers.Remove(HeaderNames.Authorization);

    private TokenValidationParameters Parameters(IReadOnlyList<SecurityKey> signing)
        => TokenParameters.Strict(settings.Issuers, settings.Audiences, settings.Algorithms, signing, settings.ClockSkew);

    /// <summary>The `kid` of the token's header; null when there is none or the token cannot be read (validation then says why).</summary>
    private string? KeyId(string token)
    {
        try
        {
            return _handler.CanReadToken(token) ? _handler.ReadJsonWebToken(token).Kid : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
