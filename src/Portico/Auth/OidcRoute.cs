using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>
/// What a route's OIDC login shares between its scheme (<see cref="OidcAuthenticator"/>) and
/// its endpoints (<see cref="OidcEndpoints"/>): the provider, the protectors (purposes name the
/// route, so one route's cookie or state is refused by another) and the session cookie.
/// </summary>
internal sealed class OidcRoute(string routeId, OidcAuthSettings settings, OidcProvider provider, IDataProtectionProvider keys, TimeProvider time)
{
    /// <summary>How long a login may take between the redirect to the provider and the callback.</summary>
    public static readonly TimeSpan LoginTimeout = TimeSpan.FromMinutes(15);

    // RFC 6265 §6.1 asks browsers to take at least 4096 bytes per cookie: larger sessions are split (NAME, NAMEC1 …).
    private readonly ChunkingCookieManager _cookies = new();

    public string RouteId { get; } = routeId;

    public OidcAuthSettings Settings { get; } = settings;

    public OidcProvider Provider { get; } = provider;

    public TimeProvider Time { get; } = time;

    public IDataProtector SessionProtector { get; } = keys.CreateProtector("Portico.Auth.Oidc.Session", routeId);

    public IDataProtector StateProtector { get; } = keys.CreateProtector("Portico.Auth.Oidc.State", routeId);

    /// <summary>The redirect URI: the callback on the host and scheme the browser used.</summary>
    public string RedirectUri(HttpRequest request) => $"{request.Scheme}://{request.Host}{Settings.CallbackPath}";

    public OidcSession? ReadSession(HttpContext context)
        => _cookies.GetRequestCookie(context, Settings.Cookie) is { Length: > 0 } value ? OidcSession.Unprotect(SessionProtector, value) : null;

    public bool HasSessionCookie(HttpContext context) => _cookies.GetRequestCookie(context, Settings.Cookie) is { Length: > 0 };

    public void WriteSession(HttpContext context, OidcSession session)
        => _cookies.AppendResponseCookie(context, Settings.Cookie, session.Protect(SessionProtector), Options(context, "/", session.Ends));

    public void DeleteSession(HttpContext context) => _cookies.DeleteCookie(context, Settings.Cookie, Options(context, "/", null));

    /// <summary>The correlation cookie of one login, scoped to the callback path; its name carries the id so logins in several tabs do not clobber each other.</summary>
    public string CorrelationCookie(string correlation) => $"{Settings.Cookie}.c.{correlation}";

    public CookieOptions Options(HttpContext context, string path, DateTimeOffset? expires) => new()
    {
        Path = path,
        HttpOnly = true,
        Secure = context.Request.IsHttps,
        // Lax: sent on the provider's top-level GET redirect back to the callback, never on cross-site subrequests or POSTs.
        SameSite = SameSiteMode.Lax,
        Expires = expires,
        IsEssential = true,
    };

    /// <summary>The caller's name in an ID token (`userClaim`); null when it has none, as after a reload that chose another claim.</summary>
    public string? User(Microsoft.IdentityModel.JsonWebTokens.JsonWebToken idToken)
        => idToken.TryGetPayloadValue<string>(Settings.UserClaim, out var user) && user.Length > 0 ? user : null;

    public static string Random(int bytes) => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));
}
