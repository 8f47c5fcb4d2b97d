using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Portico.Auth;

/// <summary>
/// A route's OIDC callback and logout paths, answered before route matching matters (they are
/// Portico's, whichever route the path would match): the callback redeems the code and starts
/// the session; logout ends it here and, with `providerLogout`, at the provider.
/// </summary>
internal sealed class OidcEndpoints(OidcRoute oidc)
{
    public string RouteId => oidc.RouteId;

    /// <summary>Answers the request; a refusal's reason and status when the answer is the middleware's to give (and record).</summary>
    public Task<(AuthReason Reason, int Status)?> HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (path == oidc.Settings.LogoutPath && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsPost(context.Request.Method)))
        {
            return LogoutAsync(context);
        }

        return HttpMethods.IsGet(context.Request.Method)
            ? CallbackAsync(context)
            : Task.FromResult<(AuthReason, int)?>((AuthReason.Invalid, StatusCodes.Status405MethodNotAllowed));
    }

    /// <summary>OpenID Connect Core §3.1.2.5–§3.1.3.7: state and its correlation cookie, then the code (with the PKCE verifier) for tokens, then the ID token.</summary>
    private async Task<(AuthReason, int)?> CallbackAsync(HttpContext context)
    {
        var log = context.RequestServices.GetRequiredService<AuthLog>();
        var query = context.Request.Query;
        (AuthReason, int)? Fail(string reason, int status = StatusCodes.Status400BadRequest)
        {
            log.OidcLoginFailed(oidc.RouteId, reason);
            return (AuthReason.Invalid, status);
        }

        if (OidcLoginState.Unprotect(oidc.StateProtector, query["state"].ToString()) is not { } state)
        {
            return Fail("state missing or not made by this key ring for this route");
        }

        var correlation = oidc.CorrelationCookie(state.Correlation);
        if (context.Request.Cookies[correlation] is null)
        {
            return Fail("state was not started by this browser (no correlation cookie)");
        }

        context.Response.Cookies.Delete(correlation, oidc.Options(context, oidc.Settings.CallbackPath, null));
        var now = oidc.Time.GetUtcNow();
        if (now - state.Started > OidcRoute.LoginTimeout)
        {
            return Fail("the login took longer than 15 minutes");
        }

        if (query["error"].ToString() is { Length: > 0 } error)
        {
            return Fail($"the provider answered error={error}", StatusCodes.Status403Forbidden);
        }

        if (query["code"].ToString() is not { Length: > 0 } code)
        {
            return Fail("no code");
        }

        try
        {
            var config = await oidc.Provider.DiscoveryAsync(context.RequestAborted);
            var (tokens, reason) = await oidc.Provider.TokenAsync(config, new()
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = oidc.RedirectUri(context.Request),
                ["code_verifier"] = state.Verifier,
            }, context.RequestAborted);
            if (tokens?.IdToken is not { } idToken)
            {
                return Fail(tokens is null ? reason : "the token response has no id_token");
            }

            var (token, why) = await oidc.Provider.ValidateIdTokenAsync(config, idToken, state.Nonce, context.RequestAborted);
            if (token is null)
            {
                return Fail($"ID token refused: {why}");
            }

            var ends = now + oidc.Settings.SessionLifetime;
            var session = new OidcSession(OidcRoute.Random(16), idToken, tokens.RefreshToken, tokens.ExpiresIn is { } e ? now + e : ends, ends);
            oidc.WriteSession(context, session);
            log.OidcLoggedIn(oidc.User(token)!, oidc.Provider.Authority, oidc.RouteId);
        }
        catch (InvalidOperationException ex)
        {
            log.OidcProviderFailed(oidc.Provider.Authority, oidc.RouteId, OidcProvider.Why(ex));
            return (AuthReason.Unavailable, StatusCodes.Status503ServiceUnavailable);
        }

        // The return path was the request's own; one starting '//' or '/\' would leave the site (RFC 3986 §4.2 network-path reference).
        Redirect(context, state.ReturnTo.StartsWith("//", StringComparison.Ordinal) || state.ReturnTo.StartsWith("/\\", StringComparison.Ordinal) ? "/" : state.ReturnTo);
        return null;
    }

    /// <summary>Clears the session cookie; with `providerLogout`, OpenID Connect RP-Initiated Logout 1.0 §2 at the provider's end_session_endpoint.</summary>
    private async Task<(AuthReason, int)?> LogoutAsync(HttpContext context)
    {
        var log = context.RequestServices.GetRequiredService<AuthLog>();
        var session = oidc.ReadSession(context);
        oidc.DeleteSession(context);
        var back = oidc.Settings.PostLogoutRedirect.StartsWith('/')
            ? $"{context.Request.Scheme}://{context.Request.Host}{oidc.Settings.PostLogoutRedirect}"
            : oidc.Settings.PostLogoutRedirect;
        var user = (session is null ? null : oidc.User(new JsonWebToken(session.IdToken))) ?? "a visitor without a session";
        if (oidc.Settings.ProviderLogout && session is not null)
        {
            try
            {
                if ((await oidc.Provider.DiscoveryAsync(context.RequestAborted)).EndSessionEndpoint is { Length: > 0 } endSession)
                {
                    log.OidcLoggedOut(user, oidc.RouteId, "at the provider too");
                    Redirect(context, Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(endSession, new Dictionary<string, string?>
                    {
                        ["id_token_hint"] = session.IdToken,
                        ["client_id"] = oidc.Settings.ClientId,
                        ["post_logout_redirect_uri"] = back,
                    }));
                    return null;
                }
            }
            catch (InvalidOperationException ex)
            {
                // The local session is over whatever the provider says; it is logged, not shown.
                log.OidcProviderFailed(oidc.Provider.Authority, oidc.RouteId, OidcProvider.Why(ex));
            }
        }

        log.OidcLoggedOut(user, oidc.RouteId, "local");
        Redirect(context, back);
        return null;
    }

    private static void Redirect(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Location = location;
    }
}
