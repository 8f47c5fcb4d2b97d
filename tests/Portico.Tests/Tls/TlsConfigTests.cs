using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portico.Cli;

namespace Portico.Tests.Tls;

/// <summary>Certificate files are read when the config is checked; unusable ones are config errors with the reason.</summary>
public sealed class TlsConfigTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portico-tlsconfig-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Unusable_certificate_files_are_reported_with_their_line_and_reason_and_relative_paths_are_found_beside_the_config()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest("CN=app.test", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(Path.Combine(_folder, "certs"));
        Write("certs/good.pem", cert.ExportCertificatePem());
        Write("certs/good.key", key.ExportPkcs8PrivateKeyPem());
        Write("certs/other.key", otherKey.ExportPkcs8PrivateKeyPem());
        Write("certs/garbage.pem", "hello\n");
        File.WriteAllBytes(Path.Combine(_folder, "certs/good.pfx"), cert.Export(X509ContentType.Pkcs12, "right")!);
        var config = Write("portico.yaml", """
            listeners:
              secure:
                address: 127.0.0.1:8443
                tls:
                  certificates:
                    - { cert: certs/good.pem, key: certs/good.key }
                    - { cert: certs/good.pem, key: certs/other.key }
                    - { cert: certs/garbage.pem, key: certs/good.key }
                    - { pfx: certs/good.pfx, password: wrong }
                    - { pfx: certs/good.pfx, password: right }
                  clientCertificate: { ca: certs/garbage.pem }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [http://127.0.0.1:9001] }
            """);

        var loaded = await StandaloneLoader.LoadFileAsync(config);

        var errors = loaded.Errors.Select(e => e.ToString()).ToArray();
        Assert.Equal(4, errors.Length);
        Assert.StartsWith($"{config}:7: listeners.secure.tls.certificates[1].cert: 'certs/good.pem' is not a usable certificate and key: ", errors[0]);
        Assert.StartsWith($"{config}:8: listeners.secure.tls.certificates[2].cert: 'certs/garbage.pem' holds no PEM certificate", errors[1]);
        Assert.StartsWith($"{config}:9: listeners.secure.tls.certificates[3].pfx: 'certs/good.pfx' is not a usable certificate and key: ", errors[2]);
        Assert.Equal($"{config}:11: listeners.secure.tls.clientCertificate.ca: 'certs/garbage.pem' holds no PEM certificate", errors[3]);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
