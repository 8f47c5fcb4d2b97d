namespace Portico.Configuration.Model;

/// <summary>
/// `auth.dataProtection`: the key ring that encrypts OIDC session cookies and login state. Kept
/// outside the process so a restart keeps sessions; one store kind today (a directory), so a
/// shared store for several instances is one more property here.
/// </summary>
internal sealed record DataProtectionSettings
{
    /// <summary>`keysDir`: the directory of the key ring (absolute path), created with mode 0700 when missing. Required.</summary>
    public required string KeysDir { get; init; }
}
