namespace Portico.Mirroring;

/// <summary>Why a sampled request's copy never reached the shadow in full. Feeds `portico_mirror_dropped_total` (label `reason`) and the log.</summary>
internal enum MirrorDrop
{
    /// <summary>The route's copies waiting and in flight already fill its `queue` and `concurrency`.</summary>
    QueueFull,

    /// <summary>The body is longer than `maxBodySize`.</summary>
    BodyTooLarge,

    /// <summary>The client's body was not read to its end (the client went away, or the backend answered before it).</summary>
    BodyIncomplete,

    /// <summary>The shadow cluster has no available destination (health checks, drains).</summary>
    NoDestination,

    /// <summary>The shadow refused the connection, reset it or broke the exchange.</summary>
    ShadowError,

    /// <summary>The copy did not finish within `timeout` of being queued.</summary>
    Timeout,
}
