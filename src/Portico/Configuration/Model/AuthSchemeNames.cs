namespace Portico.Configuration.Model;

/// <summary>The names of the authentication schemes, as config keys, metric tags and the scheme identity header use them.</summary>
internal static class AuthSchemeNames
{
    public const string ApiKey = "apiKey";
    public const string Basic = "basic";
    public const string ClientCertificate = "clientCertificate";
    public const string Jwt = "jwt";
    public const string ForwardAuth = "forwardAuth";
    public const string Oidc = "oidc";

    /// <summary>Every scheme, in the order a route tries them.</summary>
    public static readonly IReadOnlyList<string> All = [ApiKey, Basic, Jwt, ForwardAuth, ClientCertificate, Oidc];
}
