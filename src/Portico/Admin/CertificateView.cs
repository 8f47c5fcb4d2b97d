using Portico.Tls;
using Portico.Tls.Acme;

namespace Portico.Admin;

/// <summary>What each HTTPS listener can serve now, as JSON-friendly values for `GET /api/certificates`; an ACME host's certificate with where its renewal stands.</summary>
internal static class CertificateView
{
    /// <summary>A certificate this close to its end is flagged `expiresSoon` (the dashboard shows it as a warning): two weeks leave time to act when renewal failed.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    public static IEnumerable<object> From(TlsListeners listeners, AcmeCertificates acme, TimeProvider time)
        => listeners.All.OrderBy(l => l.Listener, StringComparer.Ordinal).SelectMany(l => l.Serving().Select(c => (object)new
        {
            listener = l.Listener,
            names = c.Names,
            source = c.Kind,
            origin = c.Origin,
            subject = c.Leaf.Subject,
            issuer = c.Leaf.Issuer,
            serial = c.Leaf.SerialNumber,
            notAfter = c.NotAfter,
            daysToExpiry = (int)Math.Floor((c.NotAfter - time.GetUtcNow()).TotalDays),
            expiresSoon = c.NotAfter - time.GetUtcNow() < ExpiryWarning,
            acme = c.Kind is "acme" or "acme-stand-in" ? Acme(c, acme) : null,
        }));

    /// <summary>An ACME host's certificate: its next renewal (or retry), failures in a row and the last error; `pending` until the service has looked at it.</summary>
    private static object Acme(ServerCertificate certificate, AcmeCertificates acme)
        => certificate.Names.Select(acme.Status).OfType<AcmeHostStatus>().FirstOrDefault() is { } s
            ? new { state = s.Failures > 0 ? "failing" : certificate.Kind == "acme" ? "issued" : "pending", nextAttempt = (DateTimeOffset?)s.NextAttempt, failures = s.Failures, lastError = s.LastError, lastErrorAt = s.LastErrorAt, lockHolder = s.LockHolder }
            : new { state = "pending", nextAttempt = (DateTimeOffset?)null, failures = 0, lastError = (string?)null, lastErrorAt = (DateTimeOffset?)null };
}
