using Portico.Tls;

namespace Portico.Admin;

/// <summary>What each HTTPS listener can serve now, as JSON-friendly values for `GET /api/certificates`.</summary>
internal static class CertificateView
{
    /// <summary>A certificate this close to its end is flagged `expiresSoon` (the dashboard shows it as a warning): two weeks leave time to act when renewal failed.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    public static IEnumerable<object> From(TlsListeners listeners, TimeProvider time)
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
        }));
}
