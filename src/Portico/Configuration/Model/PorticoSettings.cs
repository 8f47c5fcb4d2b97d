namespace Portico.Configuration.Model;

/// <summary>The whole of portico.yaml, validated. Immutable: a reload builds a new one.</summary>
internal sealed record PorticoSettings
{
    public required IReadOnlyList<ListenerSettings> Listeners { get; init; }

    /// <summary>The listener called <paramref name="name"/> (a connection's <c>ListenerFeature</c>); null if none.</summary>
    public ListenerSettings? Listener(string? name)
    {
        // By index: a foreach over the interface boxes an enumerator, and this runs per request.
        for (var i = 0; i < Listeners.Count; i++)
        {
            if (Listeners[i].Name == name)
            {
                return Listeners[i];
            }
        }

        return null;
    }

    public required ProxySettings Proxy { get; init; }

    public required IReadOnlyList<RouteSettings> Routes { get; init; }

    public required IReadOnlyList<ClusterSettings> Clusters { get; init; }

    public AdminSettings Admin { get; init; } = new();

    public AccessLogSettings AccessLog { get; init; } = new();

    public TracingSettings Tracing { get; init; } = new();

    public WafSettings Waf { get; init; } = new();
    public LimitsSettings Limits { get; init; } = new();
    /// <summary>`acme`: automatic certificates for `tls.acme` hosts. Default none.</summary>
    public AcmeSettings? Acme { get; init; }
    public CacheSettings Cache { get; init; } = new();

    /// <summary>`auth`: what every route's auth shares (the session key ring). Default: none.</summary>
    public AuthSettings Auth { get; init; } = new();

    /// <summary>`headers`: header rules for every route (and for answers no route matched), run before the route's own. Default: none.</summary>
    public HeaderRulesSettings? Headers { get; init; }

    /// <summary>`errorPages`: custom pages by status for Portico's own answers on every route (and when no route matched). Default: none.</summary>
    public IReadOnlyDictionary<int, ErrorPageSettings> ErrorPages { get; init; } = new Dictionary<int, ErrorPageSettings>();
    /// <summary>`redis`: the server several instances share state through. Default none: every instance on its own.</summary>
    public RedisSettings? Redis { get; init; }
}
