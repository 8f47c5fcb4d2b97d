using Portico.Configuration.Model;
using static Portico.Configuration.Catalogue.Keys;

namespace Portico.Configuration.Catalogue;

/// <summary>`routes.ID.auth`: who may use a route and what its backend learns of them (see docs/auth.md).</summary>
internal static class AuthKeys
{
    private const string Auth = "routes.ID.auth";

    // An `auth` section needs a scheme; these give one where the key itself is not a scheme's.
    private static readonly KeyValuePair<string, string>[] AnyScheme = [new($"{Auth}.clientCertificate", "true")];
    private static readonly KeyValuePair<string, string>[] Keys = [new($"{Auth}.apiKey.keyFile", "keys.yaml")];
    private static readonly KeyValuePair<string, string>[] Secret = [new($"{Auth}.oidc.clientSecret", "s3cret")];
    private static readonly KeyValuePair<string, string>[] Jwks = [new($"{Auth}.jwt.jwksUrl", "https://issuer.example/jwks.json")];

    public static IEnumerable<ConfigKey> All =>
    [
        Table(Auth, "Authentication and authorization for the route: 401 with a challenge per scheme, 403, or 429 after too many failures; a refused request never reaches a backend. See [Authentication](auth.md).") with { DefaultNote = "open" },
        Section($"{Auth}.apiKey", "API keys in a header or query parameter, stored as SHA-256 hashes.") with { DefaultNote = "off" },
        Text($"{Auth}.apiKey.header", "request header carrying the key.") with { DefaultNote = "`X-Api-Key` (none when only `query` is given)", Needs = Keys },
        Text($"{Auth}.apiKey.query", "query parameter carrying the key.") with { DefaultNote = "none", Needs = Keys },
        Items($"{Auth}.apiKey.keys", "`{ name, sha256, scopes }` entries: `sha256` is the hex SHA-256 of the key, `name` goes to the backend.") with { DefaultNote = "none" },
        Text($"{Auth}.apiKey.keys[].name", "the key's name, passed on to the backend.") with { Required = true, Example = "ci-bot" },
        Text($"{Auth}.apiKey.keys[].sha256", "hex SHA-256 of the key (as `sha256sum` prints it for the key without a newline).") with { Required = true, Example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" },
        List($"{Auth}.apiKey.keys[].scopes", "the key's scopes.") with { DefaultNote = "none", Example = "[read]" },
        Text($"{Auth}.apiKey.keyFile", "YAML file `keys: [...]` of more keys, relative to the config file, reloaded when it changes.") with { DefaultNote = "none" },
        Section($"{Auth}.basic", "RFC 7617 Basic against an htpasswd file of bcrypt hashes.") with { DefaultNote = "off" },
        Text($"{Auth}.basic.realm", "realm in `WWW-Authenticate`.") with { Default = "Portico" },
        Text($"{Auth}.basic.htpasswd", "`user:bcrypt-hash` lines (`htpasswd -B`), relative to the config file, reloaded when it changes.") with { Required = true, Example = "users.htpasswd" },
        Section($"{Auth}.jwt", "JWT bearer tokens (RFC 7519, RFC 6750) signed by keys from `jwksUrl` or `publicKeys`.") with { DefaultNote = "off" },
        List($"{Auth}.jwt.issuer", "accepted `iss` values.") with { OrKind = ConfigKind.String, Required = true, Example = "https://issuer.example", Needs = Jwks },
        List($"{Auth}.jwt.audience", "accepted `aud` values.") with { OrKind = ConfigKind.String, Required = true, Example = "api", Needs = Jwks },
        Text($"{Auth}.jwt.jwksUrl", "http(s) URL of the issuer's JWK Set, cached and fetched again for an unknown `kid`.") with { DefaultNote = "none" },
        List($"{Auth}.jwt.publicKeys", "PEM public key files (RSA or EC) instead of `jwksUrl`.") with { DefaultNote = "none" },
        List($"{Auth}.jwt.algorithms", "accepted `alg` values; `none` and HMAC are refused.") with { Allowed = JwtAlgorithms.Supported, Default = "[RS256, PS256, ES256]", Needs = Jwks },
        Duration($"{Auth}.jwt.clockSkew", "tolerance on `exp` and `nbf`.") with { Default = "30s", Needs = Jwks },
        Duration($"{Auth}.jwt.jwksRefresh", "how long fetched keys are used.") with { Default = "1h", Needs = Jwks },
        Duration($"{Auth}.jwt.jwksMinRefresh", "least time between fetches caused by unknown `kid`s.") with { Default = "30s", Needs = Jwks },
        Text($"{Auth}.jwt.nameClaim", "claim naming the caller.") with { Default = "sub", Needs = Jwks },
        Text($"{Auth}.jwt.roleClaim", "claim holding roles.") with { Default = "roles", Needs = Jwks },
        Section($"{Auth}.forwardAuth", "ask an auth service about each request (Traefik ForwardAuth, nginx auth_request): 2xx passes, other answers go back to the client, an outage is `unavailableStatus`.") with { DefaultNote = "off" },
        Text($"{Auth}.forwardAuth.url", "the auth service's http(s) URL.") with { Required = true, Example = "http://127.0.0.1:9000/check" },
        Text($"{Auth}.forwardAuth.method", "the subrequest's method.") with { Default = "GET" },
        List($"{Auth}.forwardAuth.requestHeaders", "client headers copied to the subrequest.") with { Default = "[Authorization, Cookie]" },
        List($"{Auth}.forwardAuth.responseHeaders", "headers of a 2xx answer copied into the forwarded request (clients' copies are removed on every route).") with { DefaultNote = "none", Example = "[X-User]" },
        Text($"{Auth}.forwardAuth.userHeader", "answer header naming the caller.") with { DefaultNote = "none" },
        Duration($"{Auth}.forwardAuth.timeout", "how long the auth service may take.") with { Default = "5s" },
        Int($"{Auth}.forwardAuth.unavailableStatus", 500, 599, "answer when the auth service is down, slow or broken.") with { Default = "503" },
        Duration($"{Auth}.forwardAuth.cacheFor", "reuse a 2xx answer for the same credential headers this long (`0s`: off).") with { Default = "0s" },
        Bool($"{Auth}.clientCertificate", false, "a client certificate verified by the listener's mutual TLS authenticates; the caller is its subject.") with { Needs = Keys },
        Section($"{Auth}.oidc", "browser login at an OpenID Connect provider (authorization code with PKCE); the session is an encrypted cookie. Needs `auth.dataProtection.keysDir` or a top-level `redis` section (the key ring is then kept in Redis).") with { DefaultNote = "off" },
        Text($"{Auth}.oidc.authority", "the provider's issuer URL (`https`; `http` only on a loopback address); its discovery document is `/.well-known/openid-configuration` under it.") with { Required = true, Example = "https://login.example.com/realms/main", Needs = Secret },
        Text($"{Auth}.oidc.clientId", "Portico's client id at the provider.") with { Required = true, Example = "portico", Needs = Secret },
        Text($"{Auth}.oidc.clientSecret", "the client secret.") with { DefaultNote = "none (give this or `clientSecretFile`)" },
        Text($"{Auth}.oidc.clientSecretFile", "a file holding the client secret, relative to the config file, read at load.") with { DefaultNote = "none" },
        List($"{Auth}.oidc.scopes", "scopes asked for; must hold `openid`; add `offline_access` where the provider needs it to issue a refresh token.") with { Default = "[openid, profile, email]", Needs = Secret },
        Text($"{Auth}.oidc.callbackPath", "the redirect URI's path (register `https://HOST` + this at the provider); answered on every route.") with { Default = "/_portico/oidc/callback", Needs = Secret },
        Text($"{Auth}.oidc.logoutPath", "ends the session (GET or POST); answered on every route.") with { Default = "/_portico/oidc/logout", Needs = Secret },
        Text($"{Auth}.oidc.postLogoutRedirect", "where the browser goes after logout: a path or an http(s) URL.") with { Default = "/", Needs = Secret },
        Bool($"{Auth}.oidc.providerLogout", true, "logout also ends the session at the provider (RP-initiated logout) when it has an `end_session_endpoint`.") with { Needs = Secret },
        Text($"{Auth}.oidc.cookie", "the session cookie's name (chunked as NAME, NAMEC1, NAMEC2 … above 4 KB).") with { Default = "portico_oidc", Needs = Secret },
        Duration($"{Auth}.oidc.sessionLifetime", "the longest a session lasts from login, refreshes included.") with { Default = "8h", Needs = Secret },
        Duration($"{Auth}.oidc.refreshBefore", "tokens are refreshed when the access token expires within this.") with { Default = "1m", Needs = Secret },
        Text($"{Auth}.oidc.userClaim", "the ID token claim that names the caller.") with { Default = "sub", Needs = Secret },
        Items($"{Auth}.allow", "rules; any one whose every condition holds lets an authenticated caller in (403 otherwise).") with { DefaultNote = "every authenticated caller", Needs = AnyScheme },
        List($"{Auth}.allow[].schemes", "the scheme that authenticated is one of these.") with { Allowed = AuthSchemeNames.All, DefaultNote = "any", Needs = AnyScheme },
        List($"{Auth}.allow[].users", "the caller's name is one of these.") with { DefaultNote = "any", Needs = AnyScheme },
        List($"{Auth}.allow[].apiKeys", "the API key's name is one of these.") with { DefaultNote = "any", Needs = AnyScheme },
        List($"{Auth}.allow[].scopes", "the caller holds all of these scopes.") with { DefaultNote = "none", Needs = AnyScheme },
        List($"{Auth}.allow[].roles", "the caller holds all of these roles.") with { DefaultNote = "none", Needs = AnyScheme },
        Names($"{Auth}.allow[].claims", "claim type → accepted values; each type must have one of its values.") with { DefaultNote = "none" },
        List($"{Auth}.allow[].claims.TYPE", "the accepted values.") with { DefaultNote = "—", Example = "[acme]", Needs = AnyScheme },
        List($"{Auth}.allow[].clientCertSubjects", "the connection's client certificate subject is one of these.") with { DefaultNote = "any", Needs = AnyScheme },
        List($"{Auth}.allow[].ipRanges", "the client address is in one of these CIDR blocks.") with { DefaultNote = "any", Needs = AnyScheme },
        Section($"{Auth}.identityHeaders", "request headers telling the backend who called; clients' copies of these names are removed on every route.") with { DefaultNote = "X-Auth-User, X-Auth-Scheme" },
        Text($"{Auth}.identityHeaders.user", "header with the caller's name; `off`: none.") with { Default = "X-Auth-User", Needs = AnyScheme },
        Text($"{Auth}.identityHeaders.scheme", "header with the scheme that authenticated; `off`: none.") with { Default = "X-Auth-Scheme", Needs = AnyScheme },
        Names($"{Auth}.identityHeaders.claims", "header name → claim type; several values are joined with `, `.") with { DefaultNote = "none" },
        Text($"{Auth}.identityHeaders.claims.NAME", "the claim type.") with { DefaultNote = "—", Example = "email", Needs = AnyScheme },
        Bool($"{Auth}.forwardCredentials", false, "send `Authorization` and the API key on to the backend.") with { Needs = AnyScheme },
        Section($"{Auth}.failedAttempts", "bad credentials allowed per client address before 429; `off` disables.") with { OrKind = ConfigKind.String, DefaultNote = "10 per 1m" },
        Int($"{Auth}.failedAttempts.limit", 1, 1_000_000, "failures allowed per `window`.") with { Default = "10", Needs = AnyScheme },
        Duration($"{Auth}.failedAttempts.window", "refill period of the allowance.") with { Default = "1m", Needs = AnyScheme },
    ];
}
