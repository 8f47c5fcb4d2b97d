namespace Portico.Configuration.Model;

/// <summary>A route's `auth.basic`: RFC 7617 Basic authentication.</summary>
internal sealed record BasicAuthSettings
{
    /// <summary>`realm`: sent in `WWW-Authenticate`. Default "Portico".</summary>
    public string Realm { get; init; } = "Portico";

    /// <summary>`htpasswd`: `user:bcrypt-hash` lines, reloaded when the file changes (absolute path). Required.</summary>
    public required string Htpasswd { get; init; }
}
