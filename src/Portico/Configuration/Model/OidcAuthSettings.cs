namespace Portico.Configuration.Model;

/// <summary>
/// A route's `auth.oidc`: browser login at an OpenID Connect provider (authorization code with
/// PKCE), kept as an encrypted session cookie. The route owns its login: its callback and
/// logout paths and its cookie are its own.
/// </summary>
internal sealed record OidcAuthSettings
{
    /// <summary>`authority`: the provider's issuer URL; its discovery document is `/.well-known/openid-configuration` under it. Required; https, or http on a loopback address.</summary>
    public required Uri Authority { get; init; }

    /// <summary>`clientId`: Portico's client id at the provider. Required.</summary>
    public required string ClientId { get; init; }

    /// <summary>`clientSecret`: the client secret written in the config. This or `clientSecretFile`.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>`clientSecretFile`: a file holding the client secret (absolute path), read at config load. This or `clientSecret`.</summary>
    public string? ClientSecretFile { get; init; }

    /// <summary>`scopes`: the scopes asked for; must hold `openid`. Default openid, profile, email.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = ["openid", "profile", "email"];

    /// <summary>`callbackPath`: where the provider sends the browser back (the redirect URI's path). Default `/_portico/oidc/callback`.</summary>
    public string CallbackPath { get; init; } = "/_portico/oidc/callback";

    /// <summary>`logoutPath`: ends the session. Default `/_portico/oidc/logout`.</summary>
    public string LogoutPath { get; init; } = "/_portico/oidc/logout";

    /// <summary>`postLogoutRedirect`: where the browser goes after logout, a path or an absolute URL. Default `/`.</summary>
    public string PostLogoutRedirect { get; init; } = "/";

    /// <summary>`providerLogout`: logout also ends the session at the provider (RP-initiated logout) when it has an end-session endpoint. Default true.</summary>
    public bool ProviderLogout { get; init; } = true;

    /// <summary>`cookie`: the session cookie's name. Default `portico_oidc`.</summary>
    public string Cookie { get; init; } = "portico_oidc";

    /// <summary>`sessionLifetime`: the longest a session lasts from login, refreshes included. Default 8h.</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(8);

    /// <summary>`refreshBefore`: tokens are refreshed when the access token expires within this. Default 1m.</summary>
    public TimeSpan RefreshBefore { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>`userClaim`: the ID token claim that names the caller. Default `sub`.</summary>
    public string UserClaim { get; init; } = "sub";
}
