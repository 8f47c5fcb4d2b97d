namespace Portico.Observability;

/// <summary>
/// Why the fast path left a request (and the rest of its connection) to the full pipeline, or
/// never takes a listener's or a route's requests. Feeds `portico_fastpath_handovers` (label
/// `reason`) and the admin API, as <see cref="LocalReason"/> feeds the local answers.
/// </summary>
internal enum HandOverReason
{
    // The server: no request takes the fast path under this config.

    /// <summary>Tracing is on (`tracing.otlpEndpoint`): the spans come from the full pipeline.</summary>
    Tracing,

    /// <summary>`limits.hosts` names the served hosts; the full path answers the others 421.</summary>
    ServedHosts,

    /// <summary>A route setting no stage declared (Pipeline/RouteStages): unknown, so not on the fast path.</summary>
    UndeclaredSetting,

    // The listener: its connections do not reach the fast path.

    /// <summary>A TLS listener with HSTS (its TLS stage adds a field to every response).</summary>
    TlsListener,

    /// <summary>A listener that redirects to HTTPS.</summary>
    HttpsRedirect,

    /// <summary>A listener with its own `ipRules`.</summary>
    ListenerIpRules,

    /// <summary>A listener that does not offer HTTP/1.x (h2c, or h2 alone over TLS).</summary>
    ListenerProtocols,

    // The request head.

    /// <summary>The head had not arrived whole.</summary>
    PartialHead,

    /// <summary>The framing check refuses the head; the full path answers it.</summary>
    Invalid,

    /// <summary>An HTTP/1.0 request the fast path does not answer as the full path would (FastPathHandler.Http10Served: a route with a cache or compression; without Host, a cluster that retries or a prefix rewrite).</summary>
    Http10,

    /// <summary>Neither GET nor HEAD.</summary>
    Method,

    /// <summary>A target routing would see other than as sent (percent-encoding, dot segments, …).</summary>
    Target,

    /// <summary>A body or an upgrade.</summary>
    BodyOrUpgrade,

    /// <summary>`Connection` names more hop-by-hop fields.</summary>
    ConnectionOptions,

    /// <summary>Expect, Upgrade, Transfer-Encoding or client-certificate fields.</summary>
    Headers,

    /// <summary>Any other head the fast path does not take.</summary>
    Other,

    // Routing.

    /// <summary>The request breaks a global request limit (URL length, methods).</summary>
    Limits,

    /// <summary>An ACME http-01 challenge.</summary>
    Acme,

    /// <summary>A route whose match only the router can decide (template, regex, header, query, cookie, client address or device rule, wildcard host) could take it.</summary>
    Match,

    /// <summary>Routes rank equally; the router's method and host policies decide.</summary>
    SeveralRoutes,

    /// <summary>No route matches; the full path answers 404.</summary>
    NoRoute,

    // The matched route's stages (Pipeline/RouteStages).

    /// <summary>The route's `limits` or `ipRules`.</summary>
    RouteGuard,

    /// <summary>The route's `device` (the class sent to the backend).</summary>
    Device,

    /// <summary>The route's `split` (arms of other clusters).</summary>
    Split,

    /// <summary>The route's `mirror` (copies to a shadow cluster).</summary>
    Mirror,

    /// <summary>The route's `cache.key` (a key beyond the target as sent).</summary>
    CacheKey,

    /// <summary>The route's `rateLimit`.</summary>
    RateLimit,

    /// <summary>The route's `waf`.</summary>
    Waf,

    /// <summary>The route's `auth`.</summary>
    Auth,

    /// <summary>The route's `compression`, without a cache to answer from.</summary>
    Compression,

    /// <summary>The route's `bodyRewrite`, without a cache to answer from.</summary>
    BodyRewrite,

    /// <summary>The route's `headers`, or the top-level `headers`.</summary>
    HeaderRules,

    /// <summary>The route's `cors`.</summary>
    Cors,

    /// <summary>The route's `redirects` or `normalize`.</summary>
    Redirect,

    /// <summary>The route's `rewrite`, other than a `pathPrefix` alone.</summary>
    Rewrite,

    /// <summary>The route's `maintenance`: it may answer 503 at any time, by the admin API's switch.</summary>
    Maintenance,

    /// <summary>The route's `interceptErrors`: backend error bodies are replaced.</summary>
    InterceptErrors,

    /// <summary>`preserveHost: false`.</summary>
    HostRewrite,

    /// <summary>The cluster speaks TLS or HTTP/2 to its destinations, or caps their connections.</summary>
    Cluster,

    /// <summary>A destination that is not plain http:// without a path.</summary>
    Destination,

    // At the request.

    /// <summary>A cached route's request is not a fresh hit.</summary>
    Cache,

    /// <summary>The request carries a header some route's `auth` writes for its backend; the full path removes it.</summary>
    IdentityHeaders,

    /// <summary>The request is for an OIDC route's callback or logout path, which the auth stage answers on the full path.</summary>
    AuthEndpoint,

    /// <summary>No destination is available, or none could be connected to.</summary>
    Backend,
}
