using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Portico.Tls.Acme;

/// <summary>
/// The tls-alpn-01 certificates being validated now, per host (RFC 8737 §3): self-signed, the
/// host as the only SAN, and the critical acmeIdentifier extension holding SHA-256 of the key
/// authorization. Served only on connections that offer ALPN "acme-tls/1". With a `redis`
/// section, a host another instance is having validated is answered too, from the key
/// authorization it shared (the CA's connection may reach any instance behind the front).
/// </summary>
internal sealed class TlsAlpnChallenges(AcmeShare share, TimeProvider time)
{
    public const string Protocol = "acme-tls/1";
    private const string AcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";
    private readonly ConcurrentDictionary<string, ServerCertificate> _pending = new(StringComparer.OrdinalIgnoreCase);

    // Another instance's challenge, made here once per key authorization: the CA connects several times.
    private readonly ConcurrentDictionary<string, (string KeyAuthorization, ServerCertificate Certificate)> _shared = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a challenge may be pending here or on another instance; false lets a handshake skip the lookup.</summary>
    public bool Any => !_pending.IsEmpty || share.Enabled;

    public async ValueTask<ServerCertificate?> ForAsync(string? host)
    {
        if (host is null)
        {
            return null;
        }

        if (_pending.TryGetValue(host, out var local))
        {
            return local;
        }

        if (await share.ChallengeAsync(AcmeChallenges.TlsAlpn01, host.ToLowerInvariant()) is not { } keyAuthorization)
        {
            _shared.TryRemove(host, out _);
            return null;
        }

        if (_shared.TryGetValue(host, out var made) && made.KeyAuthorization == keyAuthorization)
        {
            return made.Certificate;
        }

        var certificate = Build(host, keyAuthorization);
        _shared[host] = (keyAuthorization, certificate);
        return certificate;
    }

    public void Add(string host, string keyAuthorization) => _pending[host] = Build(host, keyAuthorization);

    public void Remove(string host) => _pending.TryRemove(host, out _);

    private ServerCertificate Build(string host, string keyAuthorization)
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
        return new ServerCertificate(new LoadedCertificate(cert, []), "tls-alpn-01 challenge", "tls-alpn-01");
    }
}
