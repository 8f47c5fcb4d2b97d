using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Security.Waf;

/// <summary>
/// A proxy with the OWASP CRS in front of one backend that records every request and answers
/// with the length and SHA-256 of the body it received; the WAF audit log goes to a temp file.
/// Each fixture names its routes in <see cref="Config"/>.
/// </summary>
public abstract class WafProxyFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("portico-waf-");

    internal TestBackend Backend { get; private set; } = null!;

    internal TestProxy Proxy { get; private set; } = null!;

    internal WafAudit Audit => new(AuditLogPath);

    public string AuditLogPath => Path.Combine(_dir.FullName, "audit.log");

    public async ValueTask InitializeAsync()
    {
        Backend = await TestBackend.StartAsync("app", EchoBodyDigest);
        Proxy = await TestProxy.StartAsync(Config(Backend.Url));
    }

    /// <summary>The proxy's config file, with <see cref="AuditLogPath"/> as the audit log and a cluster `app` at <paramref name="backend"/>.</summary>
    protected abstract string Config(string backend);

    /// <summary>"LENGTH SHA256" of the request body, so a test can tell the body arrived whole.</summary>
    internal static async Task EchoBodyDigest(HttpContext context)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long length = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            length += read;
        }

        await context.Response.WriteAsync($"{length} {Convert.ToHexString(sha.GetHashAndReset())}");
    }

    internal static string Digest(byte[] body) => $"{body.Length} {Convert.ToHexString(SHA256.HashData(body))}";

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Backend.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}
