using System.Collections.Concurrent;

namespace Portico.Tls.Acme;

/// <summary>
/// What each ACME host serves now: its issued certificate, or until there is one a self-signed
/// stand-in, so the listener completes handshakes while issuance is pending or failing.
/// </summary>
internal sealed class AcmeCertificates(TimeProvider time)
{
    private static readonly TimeSpan StandInLifetime = TimeSpan.FromDays(7);
    private readonly ConcurrentDictionary<string, ServerCertificate> _issued = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<ServerCertificate>> _standIns = new(StringComparer.OrdinalIgnoreCase);

    public ServerCertificate Get(string host)
        => _issued.TryGetValue(host, out var issued) ? issued : StandIn(host);

    /// <summary>The issued certificate, if any (not the stand-in).</summary>
    public ServerCertificate? Issued(string host) => _issued.GetValueOrDefault(host);

    public void Set(string host, ServerCertificate certificate) => _issued[host] = certificate;

    private ServerCertificate StandIn(string host)
        => _standIns.GetOrAdd(host, h => new Lazy<ServerCertificate>(() =>
            new ServerCertificate(SelfSignedCertificate.Create([h], StandInLifetime, time), "self-signed stand-in (ACME pending)", "acme-stand-in"))).Value;
}
