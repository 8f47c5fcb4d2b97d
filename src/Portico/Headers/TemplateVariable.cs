namespace Portico.Headers;

/// <summary>What a `{…}` in a header value stands for (<see cref="ValueTemplate"/>).</summary>
internal enum TemplateVariable
{
    /// <summary>Literal text between variables.</summary>
    Literal,

    /// <summary>`{client_ip}`: the real client address (trusted proxies' X-Forwarded-For resolved).</summary>
    ClientIp,

    /// <summary>`{request_id}`: the request's X-Request-Id.</summary>
    RequestId,

    /// <summary>`{route}`: the matched route's id; empty when no route matched.</summary>
    Route,

    /// <summary>`{cluster}`: the matched route's cluster id; empty when no route matched.</summary>
    Cluster,

    /// <summary>`{host}`: the request's Host (with a port when it had one).</summary>
    Host,

    /// <summary>`{scheme}`: http or https.</summary>
    Scheme,

    /// <summary>`{method}`.</summary>
    Method,

    /// <summary>`{path}`: the request path, percent-encoded as on the wire.</summary>
    Path,

    /// <summary>`{query}`: the query string without its `?`; empty when none.</summary>
    Query,

    /// <summary>`{time_rfc1123}`: now as an HTTP date (RFC 9110 §5.6.7).</summary>
    TimeRfc1123,

    /// <summary>`{time_unix}`: now in whole seconds since 1970-01-01 UTC.</summary>
    TimeUnix,

    /// <summary>`{time_iso8601}`: now as 2026-12-06T09:30:00Z.</summary>
    TimeIso8601,

    /// <summary>`{path.NAME}`: the value of the route template's parameter NAME (`match.path`).</summary>
    PathValue,

    /// <summary>`{re.N}` or `{re.NAME}`: a group of the route's `match.pathRegex` on the request path.</summary>
    RegexGroup,

    /// <summary>`{status}`: an error page's status code (pages only).</summary>
    Status,

    /// <summary>`{reason}`: the status code's reason phrase, such as Service Unavailable (pages only).</summary>
    Reason,
}
