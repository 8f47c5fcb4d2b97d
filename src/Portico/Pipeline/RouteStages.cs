using System.Reflection;
using Portico.Auth;
using Portico.BodyRewrite;
using Portico.Caching;
using Portico.Compression;
using Portico.Configuration.Model;
using Portico.Cors;
using Portico.Forwarding;
using Portico.Headers;
using Portico.Mirroring;
using Portico.Observability;
using Portico.Pages;
using Portico.RateLimiting;
using Portico.Routing;
using Portico.Security;
using Portico.Security.Waf;

namespace Portico.Pipeline;

/// <summary>
/// Every per-route stage's declaration, in <see cref="PorticoPipeline"/>'s order: the one
/// place that says which routes the fast path may take. A route takes it only when every stage
/// that applies to it says the fast path honours it; and a route setting no stage claims is
/// unknown, which keeps every route on the full pipeline (fail closed).
/// </summary>
internal static class RouteStages
{
    public static readonly IReadOnlyList<IRouteStage> All =
    [
        // 3 Route match: which route; the fast path matches only what it can match exactly.
        new RouteMatchStage(),

        // 3 Route match, device part: the device class sent to the backend.
        new DeviceStage(),

        // 3 Route match, split part: the arm's cluster, chosen per client.
        new SplitStage(),

        // 2 Guard, per route: IP rules and request limits, rate limiting, the WAF.
        new RouteGuardStage(),

        // Maintenance (and the route's error pages, which every stage's own answers use).
        new PagesStage(),
        new RateLimitStage(),
        new WafStage(),

        // CORS: preflights answered, the fields added to the route's answers.
        new CorsStage(),

        // 3 Route match, redirects (answered) and rewrites (of what is forwarded).
        new RedirectStage(),
        new RewriteStage(),

        // 4 Auth.
        new AuthStage(),

        // The route's `timeout`.
        new RouteTimeoutStage(),

        // 5 Cache, 6 Compression, then the body rewriting inside the forwarder (the backend's text,
        //   before compression encodes it and the cache stores it).
        new CacheStage(),
        new CompressionStage(),
        new BodyRewriteStage(),

        // 7 Forwarder: the cluster and how the request reaches it, and the header rules
        //   (request fields on the way there, response fields on every answer).
        new ForwardingStage(),
        new HostHeaderStage(),
        new HeaderRulesStage(),

        // 7 Forwarder, mirroring: copies of the forwarded requests to a shadow cluster.
        new MirrorStage(),
    ];

    /// <summary>The settings records the stages below read for a route: each of their properties must be claimed by a stage.</summary>
    public static readonly IReadOnlyList<Type> Classified = [typeof(RouteSettings), typeof(RouteMatchSettings), typeof(RouteCacheSettings), typeof(ClusterSettings)];

    // Checked once per process: a build with an unclaimed setting serves everything on the full pipeline.
    private static readonly bool AllClaimed = Unclaimed(All).Count == 0;

    /// <summary>The properties of <see cref="Classified"/> that none of <paramref name="stages"/> claims.</summary>
    public static IReadOnlyList<SettingName> Unclaimed(IEnumerable<IRouteStage> stages)
    {
        var claimed = stages.SelectMany(s => s.Settings).ToHashSet();
        return Classified
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => new SettingName(t, p.Name)))
            .Where(s => !claimed.Contains(s))
            .ToArray();
    }

    /// <summary>
    /// What the stages say of <paramref name="route"/> together: the reason of the first stage that
    /// keeps it on the full pipeline, or null when the fast path may take it; then
    /// <paramref name="freshHitsOnly"/> when it may answer only fresh cache hits.
    /// </summary>
    public static HandOverReason? Fit(RouteSettings route, PorticoSettings settings, out bool freshHitsOnly) => Fit(route, settings, out freshHitsOnly, out _);

    /// <summary>
    /// <see cref="Fit(RouteSettings, PorticoSettings, out bool)"/>, and <paramref name="http2Reason"/>:
    /// why the route's HTTP/2 requests that would be forwarded go to the full pipeline when a stage
    /// is honoured on HTTP/1.1 only (null when none is).
    /// </summary>
    public static HandOverReason? Fit(RouteSettings route, PorticoSettings settings, out bool freshHitsOnly, out HandOverReason? http2Reason)
    {
        freshHitsOnly = false;
        http2Reason = null;
        if (!AllClaimed)
        {
            return HandOverReason.UndeclaredSetting;
        }

        Span<StageVerdict> verdicts = stackalloc StageVerdict[All.Count];
        var cacheMisses = false;
        for (var i = 0; i < All.Count; i++)
        {
            verdicts[i] = All[i].Declare(route, settings);
            freshHitsOnly |= verdicts[i] is { Applies: true, FastPathHonours: true, FreshCacheHitsOnly: true };
            cacheMisses |= verdicts[i] is { Applies: true, FastPathHonours: true, CacheMisses: true };
        }

        var forwardingHonoured = true;
        foreach (var verdict in verdicts)
        {
            // A stage that acts only on forwarded requests does not matter where the fast path
            // forwards nothing; where it would forward a cache's misses, it keeps them on the full
            // pipeline and the fast path answers only the fresh hits.
            if (verdict.Applies && !verdict.FastPathHonours && !((freshHitsOnly || cacheMisses) && verdict.ForwardedOnly))
            {
                return verdict.Reason;
            }

            // The cache stage stores what the stages inside it made of a response: a forwarded
            // response's stage the fast path honours on HTTP/1.1 only keeps the route's misses on
            // the full pipeline too, unless the fast path's store of a miss records what that stage
            // makes (compression: the encoded variant, with its head).
            forwardingHonoured &= !(verdict.Applies && (!verdict.FastPathHonours || (verdict.Http1Only && verdict.ForwardedOnly && !verdict.StoredAsMade)));
        }

        freshHitsOnly |= cacheMisses && !forwardingHonoured;
        foreach (var verdict in verdicts)
        {
            // A cached route's HTTP/2 requests are answered on the fast path only from the cache
            // (StreamRequests): a stage that acts on forwarded requests hands none of them over.
            if (verdict is { Applies: true, Http1Only: true } && !((freshHitsOnly || cacheMisses) && verdict.ForwardedOnly))
            {
                http2Reason ??= verdict.Reason;
            }
        }

        return null;
    }
}
