using System.Text.Json;

namespace Portico.IntegrationTests.Security.Waf;

/// <summary>
/// The proxy for the WAF tests that only send requests (64KiB inspected): a `block` route, a
/// `detect` route, a `block` route that excludes the scanner rule, a `block` route that inspects
/// the first 64KiB of a longer body and streams the rest, and a route without the WAF.
/// </summary>
public sealed class WafFixture : WafProxyFixture
{
    /// <summary>The audit log entry of <paramref name="requestId"/>, once the writer has flushed it.</summary>
    internal Task<JsonElement> AuditEntryAsync(string requestId) => Audit.EntryAsync(requestId);

    internal JsonElement? FindAudit(string requestId) => Audit.Find(requestId);

    protected override string Config(string backend) => $"""
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
          inspect:
            match: {"{"} pathPrefix: /inspect {"}"}
            cluster: app
            waf: {"{"} mode: block, requestBodyLimitAction: inspect-first {"}"}
          open: {"{"} match: {"{"} pathPrefix: / {"}"}, cluster: app {"}"}
        clusters:
          app: {"{"} destinations: [{backend}] {"}"}
        """;
}
