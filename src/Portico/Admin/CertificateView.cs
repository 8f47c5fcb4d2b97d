using Portico.Tls;

namespace Portico.Admin;

/// <summary>What each HTTPS listener can serve now, as JSON-friendly values for `GET /api/certificates`.</summary>
internal static class CertificateView
{
    public static IEnumerable<object> From(TlsListeners listeners)
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
        }));
}
