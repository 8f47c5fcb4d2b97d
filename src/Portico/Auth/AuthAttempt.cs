namespace Portico.Auth;

/// <summary>What one scheme made of a request: no credentials of its kind, an identity, or credentials it refused.</summary>
internal readonly record struct AuthAttempt(AuthIdentity? Identity, bool Failed)
{
    public static readonly AuthAttempt None = new(null, false);

    public static readonly AuthAttempt Refused = new(null, true);

    public static AuthAttempt Success(AuthIdentity identity) => new(identity, false);
}
