using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>
/// One route's OpenID provider: its discovery document (OpenID Connect Discovery §4, fetched on
/// first use, cached an hour and fetched again at most every 30 s for a signing key it does not
/// list), its token endpoint, and ID token validation (OpenID Connect Core §3.1.3.7).
/// </summary>
internal sealed class OidcProvider(OidcAuthSettings settings, string clientSecret)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    }) { Timeout = TimeSpan.FromSeconds(10) };

    // Asymmetric algorithms only: an HMAC-signed ID token would be keyed with the client secret.
    private static readonly string[] Algorithms = [.. JwtAlgorithms.Supported];

    private readonly ConfigurationManager<OpenIdConnectConfiguration> _discovery = new(
        settings.Authority.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration",
        new OpenIdConnectConfigurationRetriever(),
        new HttpDocumentRetriever(Http) { RequireHttps = settings.Authority.Scheme == Uri.UriSchemeHttps })
    {
        AutomaticRefreshInterval = TimeSpan.FromHours(1),
        RefreshInterval = TimeSpan.FromSeconds(30),
    };

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public string Authority => settings.Authority.ToString();

    /// <summary>The discovery document; throws <see cref="InvalidOperationException"/> when it cannot be had.</summary>
    public Task<OpenIdConnectConfiguration> DiscoveryAsync(CancellationToken cancellationToken) => _discovery.GetConfigurationAsync(cancellationToken);

    /// <summary>Why discovery failed: the library's message and the causes under it (the HTTP error is the inner one).</summary>
    public static string Why(Exception ex)
    {
        var reasons = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            reasons.Add(e.Message);
        }

        return string.Join(" ", reasons);
    }

    /// <summary>Calls the token endpoint with <paramref name="form"/>; the tokens, or null with the reason.</summary>
    public async Task<(OidcTokens? Tokens, string Reason)> TokenAsync(OpenIdConnectConfiguration config, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, config.TokenEndpoint);
        // RFC 6749 §2.3.1: client_secret_basic (each part form-encoded) unless the provider only takes client_secret_post.
        if (config.TokenEndpointAuthMethodsSupported.Count > 0 && !config.TokenEndpointAuthMethodsSupported.Contains("client_secret_basic"))
        {
            form["client_id"] = settings.ClientId;
            form["client_secret"] = clientSecret;
        }
        else
        {
            var pair = $"{Uri.EscapeDataString(settings.ClientId)}:{Uri.EscapeDataString(clientSecret)}";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
        }

        request.Content = new FormUrlEncodedContent(form);
        try
        {
            using var response = await Http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return (null, $"token endpoint answered {(int)response.StatusCode}");
            }

            return OidcTokens.Parse(body) is { } tokens ? (tokens, "") : (null, "token endpoint sent no access_token");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"token endpoint unreachable: {ex.Message}");
        }
    }

    /// <summary>
    /// Validates an ID token: signature by a key of the provider's JWKS, `iss`, `aud` (and `azp`
    /// when there are several audiences), `exp`, and `nonce` when one was sent. The token, or null
    /// with the reason.
    /// </summary>
    public async Task<(JsonWebToken? Token, string Reason)> ValidateIdTokenAsync(OpenIdConnectConfiguration config, string idToken, string? nonce, CancellationToken cancellationToken)
    {
        var result = await _handler.ValidateTokenAsync(idToken, Parameters(config));
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // A key the cached JWKS does not list: the provider rotated its keys.
            _discovery.RequestRefresh();
            config = await DiscoveryAsync(cancellationToken);
            result = await _handler.ValidateTokenAsync(idToken, Parameters(config));
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken token)
        {
            return (null, result.Exception?.GetType().Name ?? "invalid ID token");
        }

        if (token.Audiences.Count() > 1 && !(token.TryGetPayloadValue<string>("azp", out var azp) && azp == settings.ClientId))
        {
            return (null, "ID token for several audiences without azp naming this client");
        }

        if (nonce is not null && !(token.TryGetPayloadValue<string>("nonce", out var sent)
                                   && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(nonce))))
        {
            return (null, "nonce does not match");
        }

        if (!token.TryGetPayloadValue<string>(settings.UserClaim, out var user) || user.Length == 0)
        {
            return (null, $"no '{settings.UserClaim}' claim");
        }

        return (token, "");
    }

    private TokenValidationParameters Parameters(OpenIdConnectConfiguration config)
        => TokenParameters.Strict([config.Issuer], [settings.ClientId], Algorithms, config.SigningKeys, TimeSpan.FromSeconds(30));
}
