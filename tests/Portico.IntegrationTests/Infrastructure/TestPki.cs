using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A throw-away certificate authority for TLS tests, made with .NET's CertificateRequest: a root,
/// leaf certificates it signs for servers and clients, and files in the formats Portico reads.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private TestPki(X509Certificate2 root, string folder)
    {
        Root = root;
        Folder = folder;
    }

    public X509Certificate2 Root { get; }

    /// <summary>A temp folder the files are written to; deleted on dispose.</summary>
    public string Folder { get; }

    public static TestPki Create(string name = "Portico Test Root")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
        return new TestPki(root, Directory.CreateTempSubdirectory("portico-pki-").FullName);
    }

    /// <summary>A leaf signed by the root: for servers, the DNS names (and 127.0.0.1) in its SAN; with <paramref name="client"/>, for client authentication. Valid 30 days unless <paramref name="validFor"/> says otherwise.</summary>
    public X509Certificate2 Issue(string commonName, IEnumerable<string> dnsNames, bool client = false, bool rsa = false, TimeSpan? validFor = null)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA r
            ? new CertificateRequest($"CN={commonName}, O=Portico Tests", r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest($"CN={commonName}, O=Portico Tests", (ECDsa)key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([client ? ClientAuth : ServerAuth], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var rootKey = Root.GetECDsaPrivateKey()!;
        using var signed = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow + (validFor ?? TimeSpan.FromDays(30)), serial);
        return key is RSA rsaKey ? signed.CopyWithPrivateKey(rsaKey) : signed.CopyWithPrivateKey((ECDsa)key);
    }

    public string WriteRoot(string name = "ca.pem") => Write(name, Root.ExportCertificatePem());

    /// <summary>Writes CERT.pem (the leaf, then the root as its chain) and CERT.key.pem; returns both paths.</summary>
    public (string Cert, string Key) WritePem(X509Certificate2 cert, string name)
    {
        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)cert.GetECDsaPrivateKey() ?? cert.GetRSAPrivateKey()!;
        var keyPem = key is ECDsa ec ? ec.ExportPkcs8PrivateKeyPem() : ((RSA)key).ExportPkcs8PrivateKeyPem();
        return (Write(name + ".pem", cert.ExportCertificatePem() + "\n" + Root.ExportCertificatePem()), Write(name + ".key.pem", keyPem));
    }

    public string WritePfx(X509Certificate2 cert, string name, string password)
    {
        var collection = new X509Certificate2Collection { cert, Root };
        var path = Path.Combine(Folder, name + ".pfx");
        File.WriteAllBytes(path, collection.Export(X509ContentType.Pkcs12, password)!);
        return path;
    }

    /// <summary>Replaces a file the way deployment tools do: write beside it, then rename over it.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path + ".new", text);
        File.Move(path + ".new", path, overwrite: true);
        return path;
    }

    public void Dispose()
    {
        Root.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
