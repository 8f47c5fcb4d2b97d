namespace Portico.Observability;

/// <summary>
/// How many series each of Portico's instruments may hold (OpenTelemetry's cardinality limit),
/// from what its labels can take. OpenTelemetry sets aside the whole limit as an array of metric
/// points (about 90 bytes each with its lookup entries) when an instrument is published, whether
/// it ever records or not, and cannot grow it later: its default of 2000 on each of Portico's
/// 59 instruments held 10.5 MB of a 14.5 MB heap at rest. A series past the limit is folded into
/// one series labelled <c>otel_metric_overflow="true"</c>.
/// </summary>
/// <remarks>
/// Labels from a closed set (a reason, an outcome, a tier) get <see cref="Closed"/>. Labels
/// from the config (route, cluster, destination, listener) get twice what the config at start
/// can produce, and at least <see cref="Floor"/>, so a reload may add routes up to that before a
/// series folds; past it <see cref="MetricLimitWatch"/> logs which instrument and the limit.
/// An instrument this table does not know keeps OpenTelemetry's default (fail closed to the
/// behaviour before the table), and a test lists every instrument Portico creates against it.
/// </remarks>
internal static class MetricLimits
{
    /// <summary>Series of an instrument whose labels come from a closed set: each such set here has fewer values.</summary>
    public const int Closed = 64;

    /// <summary>
    /// The fewest series an instrument labelled by the config gets, whatever the config at start:
    /// OpenTelemetry's default, which every such instrument had before the table. A config that
    /// starts small and grows by reload (the usual way: one route first, the rest later) may grow
    /// as far as it could before; the table only adds room for a config that starts larger.
    /// </summary>
    public const int Floor = 2000;

    /// <summary>Room for reloads: an instrument labelled by the config gets this many times what the config at start can produce.</summary>
    public const int Headroom = 2;

    private const int StatusClasses = 5;

    // The label values paired with a route in each feature's instruments.
    private const int WafOutcomes = 3; // passed, detected, blocked
    private const int AuthSeries = 7 * 8; // scheme (6 and none) × outcome (allowed, 6 reasons and other)
    private const int BodyRewriteOutcomes = 8; // rewritten, charset, coding, no_transform and room
    private const int RedirectStatuses = 5; // 301, 302, 303, 307, 308
    private const int SplitAssignments = 3; // new, sticky, forced
    private const int MirrorDrops = 7; // six reasons and other
    private const int CacheOutcomes = 6;

    /// <summary>The series an instrument labelled by the config can hold for <paramref name="shape"/>; null: not labelled by the config, or not known from it.</summary>
    public static int? Needed(string instrument, MetricShape shape) => ByConfig.TryGetValue(instrument, out var needed) ? needed(shape) : null;

    /// <summary>The instruments labelled by route, cluster, destination or listener, and the series each can hold.</summary>
    public static readonly IReadOnlyDictionary<string, Func<MetricShape, int?>> ByConfig = new Dictionary<string, Func<MetricShape, int?>>(StringComparer.Ordinal)
    {
        ["portico.requests"] = s => s.RouteClusters * StatusClasses,
        ["portico.request.duration"] = s => s.Routes,
        ["portico.request.body"] = s => s.Routes,
        ["portico.response.body"] = s => s.Routes,
        ["portico.retries"] = s => s.Routes,
        ["portico.upstream.duration"] = s => s.Clusters,
        // Destinations found by DNS are not in the config: those keep OpenTelemetry's default.
        ["portico.destination.healthy"] = s => s.Discovers ? null : s.Destinations,
        ["portico.destination.joining"] = s => s.Discovers ? null : s.Destinations,
        ["portico.destination.active.requests"] = s => s.Discovers ? null : s.Destinations,
        ["portico.waf.requests"] = s => s.RoutesWith(RouteFeature.Waf) * WafOutcomes,
        ["portico.auth.requests"] = s => s.RoutesWith(RouteFeature.Auth) * AuthSeries,
        ["portico.cors.preflights"] = s => s.RoutesWith(RouteFeature.Cors) * 2,
        ["portico.body_rewrite.responses"] = s => s.RoutesWith(RouteFeature.BodyRewrite) * BodyRewriteOutcomes,
        ["portico.body_rewrite.substitutions"] = s => s.RoutesWith(RouteFeature.BodyRewrite),
        ["portico.body_rewrite.input"] = s => s.RoutesWith(RouteFeature.BodyRewrite),
        ["portico.body_rewrite.output"] = s => s.RoutesWith(RouteFeature.BodyRewrite),
        ["portico.body_rewrite.held"] = s => s.RoutesWith(RouteFeature.BodyRewrite),
        ["portico.split.requests"] = s => s.RouteClusters * SplitAssignments,
        ["portico.redirects"] = s => s.RoutesWith(RouteFeature.Redirects) * RedirectStatuses,
        ["portico.rewrites.refused"] = s => s.RoutesWith(RouteFeature.Redirects),
        ["portico.mirror.requests"] = s => s.RoutesWith(RouteFeature.Mirror) * StatusClasses,
        ["portico.mirror.dropped"] = s => s.RoutesWith(RouteFeature.Mirror) * MirrorDrops,
        ["portico.mirror.pending"] = s => s.RoutesWith(RouteFeature.Mirror),
        ["portico.mirror.duration"] = s => s.RoutesWith(RouteFeature.Mirror),
        ["portico.cache.requests"] = s => s.RoutesWith(RouteFeature.Cache) * CacheOutcomes,
        ["portico.dns.lookups"] = s => s.Clusters * 2,
        ["portico.dns.destinations"] = s => s.Clusters,
        ["portico.tls.cipher.refusals"] = s => s.Listeners,
        // A listener's certificates include those ACME orders for the names that reach it, which
        // no config lists; without a TLS listener there are none.
        ["portico.tls.certificate.expiry"] = s => s.TlsListeners == 0 ? 1 : null,
    };

    /// <summary>The limit to give <paramref name="instrument"/> for <paramref name="shape"/>; null: OpenTelemetry's default.</summary>
    public static int? For(string instrument, MetricShape shape) => instrument switch
    {
        // Labelled by a reason of Portico's own: the set grows with the code, not the config.
        "portico.fastpath.handovers" => Math.Max(Closed, Enum.GetValues<HandOverReason>().Length * Headroom),
        "portico.local.responses" => Math.Max(Closed, Enum.GetValues<LocalReason>().Length * Headroom),
        _ when ClosedSets.Contains(instrument) => Closed,
        _ => Needed(instrument, shape) is { } needed ? Math.Max(Floor, needed * Headroom) : null,
    };

    /// <summary>Instruments whose labels take values from a closed set, each smaller than <see cref="Closed"/> (or none).</summary>
    public static readonly IReadOnlySet<string> ClosedSets = new HashSet<string>(StringComparer.Ordinal)
    {
        "portico.active.connections", "portico.active.requests", "portico.fastpath.requests",
        "portico.lingering.connections", "portico.lingering.closes",
        "portico.guard.connections.refused", "portico.memory.releases",
        "portico.compression.responses", "portico.compression.input", "portico.compression.output",
        "portico.ratelimit.decisions", "portico.ratelimit.redis.batches",
        "portico.tls.certificate.reloads", "portico.acme.orders",
        "portico.config.reloads", "portico.config.revision",
        "portico.redis.connected", "portico.redis.breaker.state", "portico.redis.instances",
        "portico.redis.command.duration", "portico.redis.errors",
        "portico.cache.evictions", "portico.cache.tier_hits", "portico.cache.disk_errors", "portico.cache.purges",
        "portico.cache.purged", "portico.cache.shared.lookups", "portico.cache.shared.stores", "portico.cache.shared.bytes",
        "portico.cache.size", "portico.cache.entries",
    };
}
