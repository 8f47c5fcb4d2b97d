using Portico.Observability;

namespace Portico.Pipeline;

/// <summary>
/// One stage's word on one route (<see cref="IRouteStage.Declare"/>). The default is
/// <see cref="NotApplied"/>; a stage that applies and says nothing more keeps the route on the
/// full pipeline, so a stage must state that the fast path honours it.
/// </summary>
internal readonly record struct StageVerdict
{
    private StageVerdict(
        bool applies, bool honoured, HandOverReason reason, bool forwardedOnly, bool freshCacheHitsOnly, bool http1Only = false, bool cacheMisses = false, bool storedAsMade = false)
    {
        Applies = applies;
        FastPathHonours = honoured;
        Reason = reason;
        ForwardedOnly = forwardedOnly;
        FreshCacheHitsOnly = freshCacheHitsOnly;
        Http1Only = http1Only;
        CacheMisses = cacheMisses;
        StoredAsMade = storedAsMade;
    }

    /// <summary>The stage does nothing on this route.</summary>
    public static StageVerdict NotApplied => default;

    /// <summary>The stage acts on this route and the fast path does what it does.</summary>
    public static StageVerdict Honoured => new(true, true, default, false, false);

    /// <summary>
    /// The stage acts on this route and the fast path may answer only its fresh cache hits
    /// (as the cache stage would); every other request of the route is the full pipeline's.
    /// </summary>
    public static StageVerdict FreshHitsOnly => new(true, true, default, false, true);

    /// <summary>
    /// The stage acts on the requests of this route that are forwarded, and the fast path does
    /// what it does for HTTP/1.1 clients; an HTTP/2 request it would forward is handed to the
    /// full pipeline with <paramref name="http2Reason"/> (the connection's next request meets
    /// the fast path again). With <paramref name="storedAsMade"/>, the fast path's store of a
    /// cache miss records what the stage makes of the response, as the cache stage outside it
    /// stores it, so a cached route's misses may take the fast path on HTTP/1.1; without it they
    /// stay on the full pipeline.
    /// </summary>
    public static StageVerdict HonouredOnHttp1(HandOverReason http2Reason, bool storedAsMade = false)
        => new(true, true, http2Reason, true, false, http1Only: true, storedAsMade: storedAsMade);

    /// <summary>
    /// The stage acts on this route and the fast path answers its fresh cache hits and forwards
    /// its plain misses (storing what the cache stage would store), when every stage that acts
    /// on forwarded requests is honoured too; otherwise as <see cref="FreshHitsOnly"/>.
    /// </summary>
    public static StageVerdict HitsAndMisses => new(true, true, default, false, false, cacheMisses: true);

    public bool Applies { get; }

    /// <summary>The fast path does what the stage does (meaningful when it <see cref="Applies"/>).</summary>
    public bool FastPathHonours { get; }

    /// <summary>Why the route stays on the full pipeline when the stage is not honoured.</summary>
    public HandOverReason Reason { get; }

    /// <summary>The stage acts only on requests forwarded to a backend, so it does not matter where the fast path only answers from the cache.</summary>
    public bool ForwardedOnly { get; }

    /// <summary>See <see cref="FreshHitsOnly"/>.</summary>
    public bool FreshCacheHitsOnly { get; }

    /// <summary>See <see cref="HonouredOnHttp1"/>; <see cref="Reason"/> is why an HTTP/2 request is handed over.</summary>
    public bool Http1Only { get; }

    /// <summary>See <see cref="HitsAndMisses"/>.</summary>
    public bool CacheMisses { get; }

    /// <summary>See <see cref="HonouredOnHttp1"/>.</summary>
    public bool StoredAsMade { get; }

    /// <summary>The stage acts on every request of this route and only the full pipeline does what it does.</summary>
    public static StageVerdict FullPipeline(HandOverReason reason) => new(true, false, reason, false, false);

    /// <summary>The stage acts on the requests of this route that are forwarded, and only the full pipeline does what it does.</summary>
    public static StageVerdict FullPipelineWhenForwarding(HandOverReason reason) => new(true, false, reason, true, false);
}
