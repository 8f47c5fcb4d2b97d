namespace Portico.Configuration.Model;

/// <summary>A route's `auth.jwt`: RFC 7519 bearer tokens (RFC 6750) signed by a key from a JWKS URL or from files.</summary>
internal sealed record JwtAuthSettings
{
    /// <summary>`issuer`: the accepted `iss` values (one or a list). Required.</summary>
    public required IReadOnlyList<string> Issuers { get; init; }

    /// <summary>`audience`: the accepted `aud` values (one or a list). Required.</summary>
    public required IReadOnlyList<string> Audiences { get; init; }

    /// <summary>`jwksUrl`: where the signing keys are published (RFC 7517 JWK Set). Either this or `publicKeys`.</summary>
    public Uri? JwksUrl { get; init; }

    /// <summary>`publicKeys`: PEM files of RSA or EC public keys (absolute paths). Either this or `jwksUrl`.</summary>
    public IReadOnlyList<string> PublicKeys { get; init; } = [];

    /// <summary>`algorithms`: the accepted `alg` values. Default RS256, PS256, ES256; `none` is never accepted.</summary>
    public IReadOnlyList<string> Algorithms { get; init; } = ["RS256", "PS256", "ES256"];

    /// <summary>`clockSkew`: how far `exp` and `nbf` may be off. Default 30s.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>`jwksRefresh`: how long fetched keys are used before they are fetched again. Default 1h.</summary>
    public TimeSpan JwksRefresh { get; init; } = TimeSpan.FromHours(1);

    /// <summary>`jwksMinRefresh`: a token with an unknown `kid` fetches the keys again at most this often. Default 30s.</summary>
    public TimeSpan JwksMinRefresh { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>`nameClaim`: the claim that names the caller to the backend. Default `sub`.</summary>
    public string NameClaim { get; init; } = "sub";

    /// <summary>`roleClaim`: the claim that holds roles (a string or an array). Default `roles`.</summary>
    public string RoleClaim { get; init; } = "roles";
}
