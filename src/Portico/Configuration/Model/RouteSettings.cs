namespace Portico.Configuration.Model;

/// <summary>One `routes.ID` entry: which requests it takes and where they go.</summary>
internal sealed record RouteSettings
{
    public required string Id { get; init; }

    public required RouteMatchSettings Match { get; init; }

    /// <summary>`cluster`: id of the cluster that serves this route. Required, except on a route that only redirects (null then).</summary>
    public required string? Cluster { get; init; }

    /// <summary>`timeout`: whole-request deadline; past it the client gets 504. Default: none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>`retryNonIdempotent`: let POST/PATCH be retried on connection failure. Default false.</summary>
    public bool RetryNonIdempotent { get; init; }

    /// <summary>`preserveHost`: send the client's Host to the backend (true) or the destination's (false). Default true.</summary>
    public bool PreserveHost { get; init; } = true;

    /// <summary>`order`: tie-breaker between routes that match equally; lower wins. Default: none.</summary>
    public int? Order { get; init; }

    /// <summary>`waf`: the web application firewall for this route. Default off.</summary>
    public RouteWafSettings Waf { get; init; } = RouteWafSettings.Off;
    /// <summary>`limits`: overrides of the global request limits for this route. Default: none.</summary>
    public RouteLimitsSettings? Limits { get; init; }

    /// <summary>`ipRules`: client addresses this route serves or refuses (403). Default: everyone.</summary>
    public IpRulesSettings? IpRules { get; init; }

    /// <summary>`rateLimit`: requests per client key; 429 past it. Default: none.</summary>
    public RateLimitSettings? RateLimit { get; init; }
    /// <summary>`cache`: serve this route through the shared HTTP cache. Default: off.</summary>
    public RouteCacheSettings? Cache { get; init; }

    /// <summary>`compression`: compress responses for clients that accept it. Default: off.</summary>
    public CompressionSettings? Compression { get; init; }

    /// <summary>`bodyRewrite`: substitutions in the text of the backend's responses. Default: none.</summary>
    public BodyRewriteSettings? BodyRewrite { get; init; }

    /// <summary>`headers`: request and response header rules, run after the top-level `headers`. Default: none.</summary>
    public HeaderRulesSettings? Headers { get; init; }

    /// <summary>`cors`: cross-origin requests from browsers, preflights answered by Portico. Default: none.</summary>
    public CorsSettings? Cors { get; init; }

    /// <summary>`auth`: who may use this route (401/403 otherwise) and what the backend learns of them. Default: open.</summary>
    public RouteAuthSettings? Auth { get; init; }

    /// <summary>`device`: send the client's device class to the backend, and vary cached responses on it. Default: off.</summary>
    public DeviceSettings? Device { get; init; }

    /// <summary>`split`: shares of clients sent to other clusters, sticky per client. Default: none.</summary>
    public SplitSettings? Split { get; init; }

    /// <summary>`redirects`: a table of redirects, the first rule that matches the path answers. Default: none.</summary>
    public IReadOnlyList<RedirectRule> Redirects { get; init; } = [];

    /// <summary>`normalize`: trailing-slash and case redirects. Default: none.</summary>
    public NormalizeSettings? Normalize { get; init; }

    /// <summary>`rewrite`: the path, query and Host sent to the backend, turned back in `Location` and `Set-Cookie`. Default: none.</summary>
    public RewriteSettings? Rewrite { get; init; }

    /// <summary>`mirror`: copy a share of the forwarded requests to a shadow cluster, answers discarded. Default: none.</summary>
    public MirrorSettings? Mirror { get; init; }
    /// <summary>`errorPages`: this route's own pages by status, over the top-level `errorPages`. Default: none.</summary>
    public IReadOnlyDictionary<int, ErrorPageSettings> ErrorPages { get; init; } = new Dictionary<int, ErrorPageSettings>();

    /// <summary>`interceptErrors`: backend response statuses whose body is replaced by Portico's page for that status. Default: none.</summary>
    public IReadOnlyList<int> InterceptErrors { get; init; } = [];

    /// <summary>`maintenance`: the route can be put in maintenance (503 and a page). Default: none.</summary>
    public MaintenanceSettings? Maintenance { get; init; }
}
