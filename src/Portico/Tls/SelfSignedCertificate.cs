using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Portico.Tls;

/// <summary>
/// Self-signed certificates Portico makes for itself: the development certificate of a TLS
/// listener without one, and the stand-in for an ACME host until its real certificate arrives.
/// </summary>
internal static class SelfSignedCertificate
{
    public static LoadedCertificate Create(IReadOnlyList<string> dnsNames, TimeSpan lifetime, TimeProvider time, bool withLoopbackAddresses = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsNames[0]}, O=Portico self-signed", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        if (withLoopbackAddresses)
        {
            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = time.GetUtcNow();
        var cert = request.CreateSelfSigned(now.AddMinutes(-5), now + lifetime);
        return new LoadedCertificate(cert, []);
    }
}
