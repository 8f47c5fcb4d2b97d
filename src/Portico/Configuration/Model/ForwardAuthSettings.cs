namespace Portico.Configuration.Model;

/// <summary>
/// A route's `auth.forwardAuth`: ask an auth service about each request, as Traefik's ForwardAuth
/// and nginx's auth_request do. 2xx lets the request through; any other answer goes back to the client.
/// </summary>
internal sealed record ForwardAuthSettings
{
    /// <summary>`url`: the auth service's endpoint (http or https). Required.</summary>
    public required Uri Url { get; init; }

    /// <summary>`method`: the subrequest's method. Default GET.</summary>
    public string Method { get; init; } = "GET";

    /// <summary>`requestHeaders`: client request headers copied to the subrequest. Default Authorization, Cookie.</summary>
    public IReadOnlyList<string> RequestHeaders { get; init; } = ["Authorization", "Cookie"];

    /// <summary>`responseHeaders`: headers of a 2xx answer copied into the forwarded request. Default: none.</summary>
    public IReadOnlyList<string> ResponseHeaders { get; init; } = [];

    /// <summary>`userHeader`: the answer's header that names the caller. Default: none (the caller is `forwardAuth`).</summary>
    public string? UserHeader { get; init; }

    /// <summary>`timeout`: how long the auth service may take. Default 5s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>`unavailableStatus`: the answer when the auth service is down, slow or broken. Default 503.</summary>
    public int UnavailableStatus { get; init; } = 503;

    /// <summary>`cacheFor`: how long a 2xx answer is reused for the same `requestHeaders` values. Default 0s (off).</summary>
    public TimeSpan CacheFor { get; init; }
}
