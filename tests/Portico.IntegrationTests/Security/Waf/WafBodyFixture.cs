using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Security.Waf;

/// <summary>
/// The proxy for the body tests, with the default inspection limit (128KiB): an HTTP/1.1
/// listener and an h2c one, `block` and `detect` routes that refuse a body past the limit (the
/// default), and `inspect` routes that inspect its first 128KiB and pass the rest. The `coded`
/// routes accept request bodies in a content coding, which the CRS refuses by default (rule
/// 920450 restricts the `Content-Encoding` request field), as a site taking compressed uploads does.
/// </summary>
public sealed class WafBodyFixture : WafProxyFixture
{
    protected override string Config(string backend) => $"""
        listeners:
          main: {"{"} address: "127.0.0.1:0" {"}"}
          h2: {"{"} address: "127.0.0.1:{FreePorts.Take()}", protocols: [h2c] {"}"}
        waf:
          auditLog: {AuditLogPath}
        routes:
          block: {"{"} match: {"{"} pathPrefix: /block {"}"}, cluster: app, waf: block {"}"}
          detect: {"{"} match: {"{"} pathPrefix: /detect {"}"}, cluster: app, waf: detect {"}"}
          inspect:
            match: {"{"} pathPrefix: /inspect {"}"}
            cluster: app
            waf: {"{"} mode: block, requestBodyLimitAction: inspect-first {"}"}
          detect-inspect:
            match: {"{"} pathPrefix: /detect-inspect {"}"}
            cluster: app
            waf: {"{"} mode: detect, requestBodyLimitAction: inspect-first {"}"}
          coded: {"{"} match: {"{"} pathPrefix: /coded {"}"}, cluster: app, waf: {"{"} mode: block, excludeRules: [920450] {"}"} {"}"}
          coded-detect: {"{"} match: {"{"} pathPrefix: /coded-detect {"}"}, cluster: app, waf: {"{"} mode: detect, excludeRules: [920450] {"}"} {"}"}
          coded-inspect:
            match: {"{"} pathPrefix: /coded-inspect {"}"}
            cluster: app
            waf: {"{"} mode: block, requestBodyLimitAction: inspect-first, excludeRules: [920450] {"}"}
        clusters:
          app: {"{"} destinations: [{backend}] {"}"}
        """;
}
