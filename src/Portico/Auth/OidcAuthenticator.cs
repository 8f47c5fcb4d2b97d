using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Portico.Configuration.Model;
using Portico.Forwarding;

namespace Portico.Auth;

/// <summary>
/// `auth.oidc`: the session cookie a login left authenticates; its tokens are refreshed when the
/// access token is within `refreshBefore` of expiry, and a failed refresh ends the session.
/// Without a valid session a browser navigation (<see cref="BrowserNavigation"/>) is redirected to
/// the provider (authorization code with PKCE S256, state and nonce); an API request gets 401.
/// </summary>
internal sealed class OidcAuthenticator(OidcRoute oidc) : IAuthenticator
{
    // One refresh per session at a time: concurrent requests of a page share it, so a provider
    // that rotates refresh tokens (and treats reuse as theft) does not see the old one twice.
    private readonly ConcurrentDictionary<string, Task<OidcSession?>> _refreshing = new(StringComparer.Ordinal);

    public string Scheme => AuthSchemeNames.Oidc;

    // No registered scheme fits a cookie session; this one names the cookie (as the expired draft-broyer-http-cookie-auth did),
    // so a 401 still carries a challenge (RFC 9110 §15.5.2).
    public string? Challenge(bool refused) => $"Cookie realm=\"{oidc.RouteId}\", cookie-name=\"{oidc.Settings.Cookie}\"";

    public void RemoveCredentials(HttpRequest request)
    {
        // The session cookie (and its chunks NAMEC1 …) is Portico's alone: the backend learns the caller from the identity headers.
        var name = oidc.Settings.Cookie;
        var pairs = request.Headers.Cookie.SelectMany(v => (v ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var kept = pairs.Where(p => p.Split('=', 2)[0] is var key && key != name
            && !(key.StartsWith(name + "C", StringComparison.Ordinal) && int.TryParse(key.AsSpan(name.Length + 1), out _))).ToArray();
        if (kept.Length == pairs.Length)
        {
            return;
        }

        if (kept.Length == 0)
        {
            request.Headers.Remove("Cookie");
        }
        else
        {
            request.Headers.Cookie = string.Join("; ", kept);
        }
    }

    public async ValueTask<AuthAttempt> AuthenticateAsync(HttpContext context)
    {
        var log = context.RequestServices.GetRequiredService<AuthLog>();
        if (!oidc.HasSessionCookie(context))
        {
            return await NoSessionAsync(context, log, AuthReason.Missing);
        }

        var session = oidc.ReadSession(context);
        var now = oidc.Time.GetUtcNow();
        if (session is null || now >= session.Ends || oidc.User(new JsonWebToken(session.IdToken)) is null)
        {
            log.OidcSessionRefused(oidc.RouteId, session is null ? "not made by this key ring for this route"
                : now >= session.Ends ? "session over" : $"its ID token has no '{oidc.Settings.UserClaim}' claim");
            oidc.DeleteSession(context);
            return await NoSessionAsync(context, log, session is null ? AuthReason.Invalid : AuthReason.Missing);
        }

        if (session.AccessExpires - now <= oidc.Settings.RefreshBefore)
        {
            var refreshed = session.RefreshToken is null
                ? (now < session.AccessExpires ? session : null)
                : await RefreshOnceAsync(session, log, context.RequestAborted);
            if (refreshed is null)
            {
                oidc.DeleteSession(context);
                return await NoSessionAsync(context, log, AuthReason.Missing);
            }

            if (!ReferenceEquals(refreshed, session))
            {
                // Set as the answer starts, after the forwarder has copied the backend's headers in.
                context.Response.OnStarting(() =>
                {
                    oidc.WriteSession(context, refreshed);
                    return Task.CompletedTask;
                });
                session = refreshed;
            }
        }

        return AuthAttempt.Success(Identity(new JsonWebToken(session.IdToken)));
    }

    private AuthIdentity Identity(JsonWebToken idToken)
    {
        var claims = idToken.Claims.ToList();
        var name = oidc.User(idToken)!;
        claims.AddRange(claims.Where(c => c.Type is "roles" or "role").Select(c => new Claim(ClaimTypes.Role, c.Value)).ToArray());
        return new AuthIdentity(Scheme, name, claims);
    }

    private Task<OidcSession?> RefreshOnceAsync(OidcSession session, AuthLog log, CancellationToken cancellationToken)
    {
        var task = _refreshing.GetOrAdd(session.Id, _ => RefreshAsync(session, log, CancellationToken.None));
        task.ContinueWith(_ => _refreshing.TryRemove(new(session.Id, task)), TaskScheduler.Default);
        return task.WaitAsync(cancellationToken);
    }

    /// <summary>The refresh_token grant (RFC 6749 §6); a new ID token must name the same user (OpenID Connect Core §12.2).</summary>
    private async Task<OidcSession?> RefreshAsync(OidcSession session, AuthLog log, CancellationToken cancellationToken)
    {
        var user = oidc.User(new JsonWebToken(session.IdToken))!;
        try
        {
            var config = await oidc.Provider.DiscoveryAsync(cancellationToken);
            var (tokens, reason) = await oidc.Provider.TokenAsync(config, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = session.RefreshToken! }, cancellationToken);
            var idToken = session.IdToken;
            if (tokens?.IdToken is { } fresh)
            {
                var (token, why) = await oidc.Provider.ValidateIdTokenAsync(config, fresh, nonce: null, cancellationToken);
                (idToken, reason) = token is null ? (null, why)
                    : oidc.User(token) != user ? (null, "the new ID token names another user")
                    : (fresh, reason);
            }

            if (tokens is null || idToken is null)
            {
                log.OidcRefreshFailed(user, oidc.RouteId, reason);
                return null;
            }

            log.OidcRefreshed(user, oidc.RouteId);
            var now = oidc.Time.GetUtcNow();
            return session with
            {
                IdToken = idToken,
                RefreshToken = tokens.RefreshToken ?? session.RefreshToken,
                AccessExpires = tokens.ExpiresIn is { } e ? now + e : session.Ends,
            };
        }
        catch (InvalidOperationException ex)
        {
            log.OidcRefreshFailed(user, oidc.RouteId, OidcProvider.Why(ex));
            return null;
        }
    }

    /// <summary>A browser is sent to log in; an API client's request goes on to the 401 (or another scheme's answer).</summary>
    private async Task<AuthAttempt> NoSessionAsync(HttpContext context, AuthLog log, AuthReason reason)
    {
        if (!BrowserNavigation.Is(context.Request))
        {
            return reason == AuthReason.Invalid ? AuthAttempt.Refused : AuthAttempt.None;
        }

        OpenIdConnectConfiguration config;
        try
        {
            config = await oidc.Provider.DiscoveryAsync(context.RequestAborted);
        }
        catch (InvalidOperationException ex)
        {
            log.OidcProviderFailed(oidc.Provider.Authority, oidc.RouteId, OidcProvider.Why(ex));
            return AuthAttempt.Answered(AuthReason.Unavailable, c => ErrorPage.WriteAsync(c, StatusCodes.Status503ServiceUnavailable));
        }

        log.OidcLoginStarted(oidc.Provider.Authority, oidc.RouteId);
        return AuthAttempt.Answered(reason, c => RedirectToLogin(c, config));
    }

    private Task RedirectToLogin(HttpContext context, OpenIdConnectConfiguration config)
    {
        var request = context.Request;
        var state = new OidcLoginState(OidcRoute.Random(16), $"{request.PathBase}{request.Path}{request.QueryString}", OidcRoute.Random(32), OidcRoute.Random(32), oidc.Time.GetUtcNow());
        context.Response.Cookies.Append(oidc.CorrelationCookie(state.Correlation), "1", oidc.Options(context, oidc.Settings.CallbackPath, state.Started + OidcRoute.LoginTimeout));

        // RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))).
        var challenge = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(state.Verifier)));
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = oidc.Settings.ClientId,
            ["redirect_uri"] = oidc.RedirectUri(request),
            ["scope"] = string.Join(' ', oidc.Settings.Scopes),
            ["state"] = state.Protect(oidc.StateProtector),
            ["nonce"] = state.Nonce,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Location = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(config.AuthorizationEndpoint, query);
        return Task.CompletedTask;
    }
}
