namespace Portico.Tls.Acme;

/// <summary>
/// Where an ACME host's certificate stands, for the admin API: when it is next looked at (an
/// order, a renewal or a retry), how many attempts in a row failed, and the last failure's message and time.
/// </summary>
internal sealed record AcmeHostStatus(DateTimeOffset NextAttempt, int Failures, string? LastError, DateTimeOffset? LastErrorAt);
