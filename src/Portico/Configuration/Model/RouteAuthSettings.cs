namespace Portico.Configuration.Model;

/// <summary>
/// A route's `auth`: the schemes that may authenticate a request (any one succeeding is enough),
/// the rules that then allow it, and what the backend is told about the caller.
/// </summary>
internal sealed record RouteAuthSettings
{
    /// <summary>`apiKey`: keys in a header or query parameter, stored as SHA-256 hashes. Default: off.</summary>
    public ApiKeyAuthSettings? ApiKey { get; init; }

    /// <summary>`basic`: RFC 7617 Basic against an htpasswd file of bcrypt hashes. Default: off.</summary>
    public BasicAuthSettings? Basic { get; init; }

    /// <summary>`jwt`: bearer tokens signed by the route's issuer. Default: off.</summary>
    public JwtAuthSettings? Jwt { get; init; }

    /// <summary>`forwardAuth`: an auth service decides each request. Default: off.</summary>
    public ForwardAuthSettings? ForwardAuth { get; init; }

    /// <summary>`clientCertificate`: a client certificate verified by the listener's mutual TLS authenticates. Default false.</summary>
    public bool ClientCertificate { get; init; }

    /// <summary>`oidc`: browser login at an OpenID Connect provider, kept in a session cookie. Default: off.</summary>
    public OidcAuthSettings? Oidc { get; init; }

    /// <summary>`allow`: rules, any one of which allows an authenticated request; none means every authenticated caller. Default: none.</summary>
    public IReadOnlyList<AuthRuleSettings> Allow { get; init; } = [];

    /// <summary>`identityHeaders`: the request headers that tell the backend who called.</summary>
    public IdentityHeaderSettings IdentityHeaders { get; init; } = new();

    /// <summary>`forwardCredentials`: send `Authorization` and the API key on to the backend. Default false (removed).</summary>
    public bool ForwardCredentials { get; init; }

    /// <summary>`failedAttempts`: bad credentials allowed per client address before it is refused 429. Default 10 per 1m; `off` disables.</summary>
    public RateLimitSettings? FailedAttempts { get; init; }

    /// <summary>Every request header name this route writes for its backend: a client's copy is removed on every route.</summary>
    public IEnumerable<string> WrittenHeaders() => IdentityHeaders.Names().Concat(ForwardAuth?.ResponseHeaders ?? []);

    /// <summary>The scheme names in the order they are tried.</summary>
    public IEnumerable<string> Schemes()
    {
        if (ApiKey is not null)
        {
            yield return AuthSchemeNames.ApiKey;
        }

        if (Basic is not null)
        {
            yield return AuthSchemeNames.Basic;
        }

        if (Jwt is not null)
        {
            yield return AuthSchemeNames.Jwt;
        }

        if (ForwardAuth is not null)
        {
            yield return AuthSchemeNames.ForwardAuth;
        }

        if (ClientCertificate)
        {
            yield return AuthSchemeNames.ClientCertificate;
        }

        if (Oidc is not null)
        {
            yield return AuthSchemeNames.Oidc;
        }
    }
}
