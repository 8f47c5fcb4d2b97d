namespace Portico.Configuration.Model;

/// <summary>
/// The JWS algorithms (RFC 7518 §3.1) a route may accept: the asymmetric ones, whose keys can
/// be published. `none` (§3.6) is refused at load, and HMAC is left out because its key is a
/// shared secret that would have to sit in the config.
/// </summary>
internal static class JwtAlgorithms
{
    public static readonly IReadOnlyList<string> Supported = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];
}
