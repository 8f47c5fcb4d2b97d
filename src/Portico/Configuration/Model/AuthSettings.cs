namespace Portico.Configuration.Model;

/// <summary>The top-level `auth` section: what every route's auth shares.</summary>
internal sealed record AuthSettings
{
    /// <summary>`dataProtection`: where the keys that encrypt session cookies live. Default none (OIDC login is then refused).</summary>
    public DataProtectionSettings? DataProtection { get; init; }
}
