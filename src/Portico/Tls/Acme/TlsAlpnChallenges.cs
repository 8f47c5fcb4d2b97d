using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Portico.Tls.Acme;

/// <summary>
/// The tls-alpn-01 certificates being validated now, per host (RFC 8737 §3): self-signed, the
/// host as the only SAN, and the critical acmeIdentifier extension holding SHA-256 of the key
/// authorization. Served only on connections that offer ALPN "acme-tls/1".
/// </summary>
internal sealed class TlsAlpnChallenges(TimeProvider time)
{
    public const string Protocol = "acme-tls/1";
    private const string AcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";
    private readonly ConcurrentDictionary<string, ServerCertificate> _pending = new(StringComparer.OrdinalIgnoreCase);

    public bool Any => !_pending.IsEmpty;

    public ServerCertificate? For(string? host) => host is null ? null : _pending.GetValueOrDefault(host);

    public void Add(string host, string keyAuthorization)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        // extnValue is the DER of Authorization ::= OCTET STRING (SIZE (32)).
        byte[] value = [0x04, 0x20, .. SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(keyAuthorization))];
        request.CertificateExtensions.Add(new X509Extension(AcmeIdentifierOid, value, critical: true));
        var now = time.GetUtcNow();
        var cert = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        _pending[host] = new ServerCertificate(new LoadedCertificate(cert, []), "tls-alpn-01 challenge", "tls-alpn-01");
    }

    public void Remove(string host) => _pending.TryRemove(host, out _);
}
