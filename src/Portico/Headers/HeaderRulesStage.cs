using System.Collections.Frozen;
using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Headers;

/// <summary>
/// The declaration of the header rules (<see cref="HeaderRulesTransform"/>, <see cref="HeaderRulesMiddleware"/>):
/// they apply to a route with its own `headers` or under top-level ones. The fast path runs them
/// (request fields on the way to the backend, response fields on forwarded answers, its own 502
/// and 504 and cache hits) when every rule is one it does exactly: a field it writes itself or a
/// later stage overrides is the full pipeline's, and so is a value that needs the route's
/// captures or the decoded path and query.
/// </summary>
internal sealed class HeaderRulesStage : IRouteStage
{
    /// <summary>
    /// Fields that framing, forwarding, the TLS stage, the cache or Kestrel write themselves (on
    /// the full pipeline some after the response rules ran): a rule naming one keeps the route on
    /// the full pipeline, where their order is what it is.
    /// </summary>
    private static readonly FrozenSet<string> OwnFields = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade", "Expect",
        "X-Request-Id", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded", "Date", "Server",
        "Strict-Transport-Security", "Age", "Cache-Status", "X-Client-Cert-Subject", "X-Client-Cert-Fingerprint",
        "RateLimit", "RateLimit-Policy", "Retry-After");

    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Headers))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Headers is null && settings.Headers is null ? StageVerdict.NotApplied
            : Exact(route.Headers) && Exact(settings.Headers) ? StageVerdict.Honoured
            : StageVerdict.FullPipeline(HandOverReason.HeaderRules);

    /// <summary>Whether the fast path can render <paramref name="variable"/> from the request head as the full pipeline does from the HttpContext.</summary>
    public static bool FastPathRenders(TemplateVariable variable) => variable is TemplateVariable.Literal or TemplateVariable.ClientIp
        or TemplateVariable.RequestId or TemplateVariable.Route or TemplateVariable.Cluster or TemplateVariable.Host or TemplateVariable.Scheme
        or TemplateVariable.Method or TemplateVariable.TimeRfc1123 or TemplateVariable.TimeUnix or TemplateVariable.TimeIso8601;

    private static bool Exact(HeaderRulesSettings? rules)
        => rules is null || rules.Request.Concat(rules.Response).All(r => !OwnFields.Contains(r.Name) && (r.Value?.Parts.All(p => FastPathRenders(p.Variable)) ?? true));
}
