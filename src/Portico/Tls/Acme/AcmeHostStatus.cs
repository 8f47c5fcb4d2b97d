namespace Portico.Tls.Acme;

/// <summary>
/// Where an ACME host's certificate stands, for the admin API: when it is next looked at (an
/// order, a renewal or a retry), how many attempts in a row failed, the last failure's message
/// and time, and with a `redis` section which instance held the order lock when last looked at
/// (this one while it orders; null when no one did).
/// </summary>
internal sealed record AcmeHostStatus(DateTimeOffset NextAttempt, int Failures, string? LastError, DateTimeOffset? LastErrorAt, string? LockHolder = null);
