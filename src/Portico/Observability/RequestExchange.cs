namespace Portico.Observability;

/// <summary>
/// What one request went through, filled in by the stages it passes and read once at the end
/// by the access log, the metrics and the dashboard. One per request.
/// </summary>
internal sealed class RequestExchange
{
    public required long StartTimestamp { get; set; }

    public required string RequestId { get; set; }

    public string? Route { get; set; }

    public string? Cluster { get; set; }

    /// <summary>The split arm (its cluster) the request was sent to; null on routes without a split.</summary>
    public string? Arm { get; set; }

    /// <summary>The destination that served the last attempt, as host:port.</summary>
    public string? Upstream { get; set; }

    /// <summary>The path and query the route's `rewrite` sent to the backend in place of the client's; null when unchanged.</summary>
    public string? Rewritten { get; set; }

    /// <summary>Seconds spent in the last exchange with the destination (headers and body).</summary>
    public double? UpstreamSeconds { get; set; }

    public int Retries { get; set; }

    /// <summary>Why Portico answered itself instead of a backend; null when a backend answered.</summary>
    public LocalReason? Reason { get; set; }

    /// <summary>What the cache did (hit, stale, miss, revalidated, collapsed, bypass); null on routes without a cache.</summary>
    public string? Cache { get; set; }

    /// <summary>The request body as the backend reads it; null when the request cannot have one.</summary>
    public CountingStream? RequestBody { get; init; }

    /// <summary>The response body as the client receives it; null on the fast path, which counts <see cref="ResponseBytes"/> itself.</summary>
    public CountingStream? ResponseBody { get; init; }

    /// <summary>Response body bytes when there is no <see cref="ResponseBody"/> stream (the fast path).</summary>
    public long ResponseBytes { get; set; }

    public long BytesIn => RequestBody?.Bytes ?? 0;

    public long BytesOut => ResponseBody?.Bytes ?? ResponseBytes;

    /// <summary>
    /// Makes this the record of a new request, every field but the body streams cleared: the fast
    /// path, whose records have no streams and which nothing keeps past
    /// <see cref="RequestRecorder.Record"/>, fills one per thread again and again.
    /// </summary>
    public void Restart(long start, string requestId)
    {
        StartTimestamp = start;
        RequestId = requestId;
        Route = null;
        Cluster = null;
        Arm = null;
        Upstream = null;
        Rewritten = null;
        UpstreamSeconds = null;
        Retries = 0;
        Reason = null;
        Cache = null;
        ResponseBytes = 0;
    }
}

/// <summary>Why Portico answered a request itself. Feeds the log, the metrics and the access log alike.</summary>
internal enum LocalReason
{
    NoRoute,
    NoHealthyBackend,
    UpstreamUnreachable,
    UpstreamTimeout,
    RouteTimeout,

    /// <summary>The route's web application firewall, in block mode, refused the request (403; 400 for a body it cannot parse; 413 for a body past its inspection limit).</summary>
    WafBlocked,
    MalformedRequest,
    UnknownHost,
    IpDenied,
    MethodNotAllowed,
    UrlTooLong,
    HeadersTooLarge,
    BodyTooLarge,
    RateLimited,
    HttpsRedirect,
    AcmeChallenge,
    OnlyIfCached,
    CorsPreflight,

    /// <summary>The route's `redirects` or `normalize` answered with a redirect.</summary>
    Redirect,

    /// <summary>The route's `rewrite` would have sent a path with a `.` or `..` segment: 400.</summary>
    RewriteRefused,

    /// <summary>The route's auth found no credentials (401).</summary>
    AuthMissing,

    /// <summary>The route's auth refused the credentials given (401).</summary>
    AuthInvalid,

    /// <summary>Authenticated, but the route's `auth.allow` rules do not let the caller in (403).</summary>
    AuthForbidden,

    /// <summary>Too many failed attempts from the client on this route (429).</summary>
    AuthLockedOut,

    /// <summary>The route's forward-auth service refused the request; its answer was relayed.</summary>
    AuthDenied,

    /// <summary>The route's forward-auth service could not be asked (503 by default).</summary>
    AuthUnavailable,

    /// <summary>The route is in maintenance and the client is not one of its `allowIps` (503).</summary>
    Maintenance,
}

internal static class LocalReasonNames
{
    /// <summary>
    /// The access log's reason for a 499: the client hung up before any answer. Not a local
    /// answer and not a backend fault, so it feeds neither the local-answer metric nor the dashboard.
    /// </summary>
    public const string ClientClosed = "client_closed";

    public static string Of(LocalReason reason) => reason switch
    {
        LocalReason.NoRoute => "no_route",
        LocalReason.Redirect => "redirect",
        LocalReason.RewriteRefused => "rewrite_refused",
        LocalReason.NoHealthyBackend => "no_healthy_backend",
        LocalReason.UpstreamUnreachable => "upstream_unreachable",
        LocalReason.UpstreamTimeout => "upstream_timeout",
        LocalReason.RouteTimeout => "route_timeout",
        LocalReason.WafBlocked => "waf_blocked",
        LocalReason.MalformedRequest => "malformed_request",
        LocalReason.UnknownHost => "unknown_host",
        LocalReason.IpDenied => "ip_denied",
        LocalReason.MethodNotAllowed => "method_not_allowed",
        LocalReason.UrlTooLong => "url_too_long",
        LocalReason.HeadersTooLarge => "headers_too_large",
        LocalReason.BodyTooLarge => "body_too_large",
        LocalReason.RateLimited => "rate_limited",
        LocalReason.HttpsRedirect => "https_redirect",
        LocalReason.AcmeChallenge => "acme_challenge",
        LocalReason.AuthMissing => "auth_missing",
        LocalReason.AuthInvalid => "auth_invalid",
        LocalReason.AuthForbidden => "auth_forbidden",
        LocalReason.AuthLockedOut => "auth_locked_out",
        LocalReason.Maintenance => "maintenance",
        LocalReason.AuthDenied => "auth_denied",
        LocalReason.AuthUnavailable => "auth_unavailable",
        LocalReason.OnlyIfCached => "only_if_cached",
        LocalReason.CorsPreflight => "cors_preflight",
        _ => "other",
    };
}
