using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Security;

/// <summary>
/// One proxy with the OWASP CRS for the WAF tests that only send requests: a `block` route, a
/// `detect` route, a `block` route that excludes the scanner rule, and a route without the WAF,
/// all in front of one backend that records every request and answers with the length and
/// SHA-256 of the body it received.
/// </summary>
public sealed class WafFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("portico-waf-");

    internal TestBackend Backend { get; private set; } = null!;

    internal TestProxy Proxy { get; private set; } = null!;

    public string AuditLogPath => Path.Combine(_dir.FullName, "audit.log");

    public async ValueTask InitializeAsync()
    {
        Backend = await TestBackend.StartAsync("app", EchoBodyDigest);
        Proxy = await TestProxy.StartAsync($"""
            waf:
              auditLog: {AuditLogPath}
              requestBodyLimit: 64KiB
            routes:
              block: {"{"} match: {"{"} pathPrefix: /block {"}"}, cluster: app, waf: block {"}"}
              detect: {"{"} match: {"{"} pathPrefix: /detect {"}"}, cluster: app, waf: detect {"}"}
              excluded:
                match: {"{"} pathPrefix: /excluded {"}"}
                cluster: app
                waf: {"{"} mode: block, excludeRules: [913100] {"}"}
              open: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
            clusters:
              app: {"{"} destinations: [{Backend.Url}] {"}"}
            """);
    }

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

    /// <summary>The audit log entry of <paramref name="requestId"/>, once the writer has flushed it.</summary>
    internal async Task<JsonElement> AuditEntryAsync(string requestId)
    {
        JsonElement? found = null;
        await Poll.UntilAsync(() => (found = FindAudit(requestId)) is not null, $"the audit entry of {requestId}");
        return found!.Value;
    }

    internal JsonElement? FindAudit(string requestId)
    {
        if (!File.Exists(AuditLogPath))
        {
            return null;
        }

        using var stream = new FileStream(AuditLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || !line.EndsWith('}'))
            {
                continue;
            }

            var entry = JsonDocument.Parse(line).RootElement;
            if (entry.GetProperty("requestId").GetString() == requestId)
            {
                return entry.Clone();
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Backend.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}
