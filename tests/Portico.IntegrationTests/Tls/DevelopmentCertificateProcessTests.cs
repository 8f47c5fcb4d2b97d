using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Tls;

/// <summary>`portico run` itself, as a developer starts it: an HTTPS listener with no certificate.</summary>
public sealed class DevelopmentCertificateProcessTests
{
    [Fact]
    public async Task Portico_run_serves_https_with_a_self_signed_certificate_and_says_so_on_stdout()
    {
        await using var backend = await TestBackend.StartAsync("b");
        var folder = Directory.CreateTempSubdirectory("portico-devcert-").FullName;
        var config = Path.Combine(folder, "portico.yaml");
        await File.WriteAllTextAsync(config, $$"""
            listeners:
              local: { address: "127.0.0.1:0", tls: {} }
            admin: { enabled: false }
            accessLog: { enabled: false }
            routes:
              all: { match: { pathPrefix: / }, cluster: app }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """, TestContext.Current.CancellationToken);
        await using var portico = PorticoProcess.Start("run", "-c", config);
        var port = (await portico.WaitForListeningAsync())[0].Port;

        var handshake = await TlsClient.HandshakeAsync(port, "localhost");

        Assert.Equal("CN=localhost, O=Portico self-signed", handshake.Certificate.Issuer);
        Assert.True(handshake.Answered);
        Assert.Contains("listener 'local' has no certificate configured: serving a SELF-SIGNED DEVELOPMENT certificate for localhost", portico.Stdout, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }
}
