using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Portico.IntegrationTests.Auth;

/// <summary>
/// A real OpenID provider on 127.0.0.1: OpenIddict's server in degraded mode (no database), with
/// discovery, JWKS, an authorization endpoint that shows a login form (any user name logs in),
/// a token endpoint (authorization code with PKCE required, refresh tokens) and an end-session
/// endpoint. It records each grant and end-session request so tests can assert them.
/// </summary>
public sealed class OpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "portico";
    public const string ClientSecret = "s3cret-of-portico";

    private readonly WebApplication _app;

    private OpenIdProvider(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public string Url => Address.GetLeftPart(UriPartial.Authority);

    /// <summary>Grant types the token endpoint served, in order.</summary>
    public ConcurrentQueue<string> Grants { get; } = new();

    /// <summary>The query of each end-session request.</summary>
    public ConcurrentQueue<IQueryCollection> EndSessions { get; } = new();

    /// <summary>When set, the refresh_token grant is refused (invalid_grant), as after a revocation.</summary>
    public bool RefuseRefresh { get; set; }

    /// <summary>A claim this long goes into every ID token, to make a session cookie that must be chunked.</summary>
    public int PaddingClaimLength { get; set; }

    public static async Task<OpenIdProvider> StartAsync(TimeSpan accessTokenLifetime)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddAuthentication();
        builder.Services.AddOpenIddict().AddServer(o =>
        {
            o.EnableDegradedMode();
            o.SetAuthorizationEndpointUris("/connect/authorize")
                .SetTokenEndpointUris("/connect/token")
                .SetEndSessionEndpointUris("/connect/endsession");
            o.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().RequireProofKeyForCodeExchange();
            o.RegisterScopes(Scopes.Email, Scopes.Profile, Scopes.OfflineAccess);
            o.AddEphemeralSigningKey().AddEphemeralEncryptionKey();
            o.SetAccessTokenLifetime(accessTokenLifetime);
            o.UseAspNetCore().DisableTransportSecurityRequirement()
                .EnableAuthorizationEndpointPassthrough().EnableTokenEndpointPassthrough().EnableEndSessionEndpointPassthrough();

            // Degraded mode has no client store: these handlers are the client registration.
            o.AddEventHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>(b => b.UseInlineHandler(c =>
            {
                if (c.ClientId != ClientId || !Loopback(c.RedirectUri))
                {
                    c.Reject(Errors.InvalidClient, "unknown client or redirect_uri");
                }

                return default;
            }));
            o.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(b => b.UseInlineHandler(c =>
            {
                if (c.ClientId != ClientId || c.ClientSecret != ClientSecret)
                {
                    c.Reject(Errors.InvalidClient, "bad client credentials");
                }

                return default;
            }));
            o.AddEventHandler<OpenIddictServerEvents.ValidateEndSessionRequestContext>(b => b.UseInlineHandler(c =>
            {
                if (c.PostLogoutRedirectUri is { } uri && !Loopback(uri))
                {
                    c.Reject(Errors.InvalidRequest, "unknown post_logout_redirect_uri");
                }

                return default;
            }));
        });

        var app = builder.Build();
        OpenIdProvider? self = null;
        app.MapMethods("/connect/authorize", ["GET", "POST"], context => self!.AuthorizeAsync(context));
        app.MapPost("/connect/token", context => self!.TokenAsync(context));
        app.MapMethods("/connect/endsession", ["GET", "POST"], context => self!.EndSessionAsync(context));
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        self = new OpenIdProvider(app, address);

        // OpenIddict's first answer takes seconds on a loaded machine (its handlers are compiled
        // then); ask once here so Portico's discovery fetch meets a warm provider.
        using var warmUp = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        (await warmUp.GetAsync(new Uri(address, "/.well-known/openid-configuration"), TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        return self;
    }

    private static bool Loopback(string? uri) => uri is not null && (uri.StartsWith("http://127.0.0.1:", StringComparison.Ordinal) || uri.StartsWith("https://127.0.0.1:", StringComparison.Ordinal));

    /// <summary>GET shows the login form (the request's parameters as hidden fields); POST with a user name logs that user in.</summary>
    private async Task AuthorizeAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest()!;
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.Form["username"].ToString() is { Length: > 0 } user)
        {
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.AddClaim(new Claim(Claims.Subject, user));
            identity.AddClaim(new Claim(Claims.Name, user));
            identity.AddClaim(new Claim(Claims.Email, $"{user}@example.test"));
            if (PaddingClaimLength > 0)
            {
                identity.AddClaim(new Claim("padding", new string('p', PaddingClaimLength)));
            }

            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
            await context.SignInAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
            return;
        }

        var fields = new StringBuilder();
        foreach (var (name, value) in context.Request.HasFormContentType ? context.Request.Form.AsEnumerable() : context.Request.Query)
        {
            fields.Append($"<input type=\"hidden\" name=\"{HtmlEncoder.Default.Encode(name)}\" value=\"{HtmlEncoder.Default.Encode(value.ToString())}\">");
        }

        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync($"""
            <!doctype html><title>Test provider login</title>
            <form method="post" action="/connect/authorize">{fields}
            <label>User <input id="username" name="username"></label><button id="login" type="submit">Log in</button></form>
            """);
    }

    /// <summary>Both grants re-issue the principal the code or refresh token carries.</summary>
    private async Task TokenAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest()!;
        Grants.Enqueue(request.GrantType!);
        if (request.IsRefreshTokenGrantType() && RefuseRefresh)
        {
            await context.ForbidAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidGrant,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "the refresh token was revoked",
            }));
            return;
        }

        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        await context.SignInAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, result.Principal!);
    }

    private async Task EndSessionAsync(HttpContext context)
    {
        EndSessions.Enqueue(context.Request.Query);
        await context.SignOutAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, new AuthenticationProperties { RedirectUri = "/" });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
