namespace Portico.Configuration.Model;

/// <summary>The whole of portico.yaml, validated. Immutable: a reload builds a new one.</summary>
internal sealed record PorticoSettings
{
    public required IReadOnlyList<ListenerSettings> Listeners { get; init; }

    public required ProxySettings Proxy { get; init; }

    public required IReadOnlyList<RouteSettings> Routes { get; init; }

    public required IReadOnlyList<ClusterSettings> Clusters { get; init; }

    public AdminSettings Admin { get; init; } = new();

    public AccessLogSettings AccessLog { get; init; } = new();

    public TracingSettings Tracing { get; init; } = new();

    public CacheSettings Cache { get; init; } = new();
}
