namespace Portico.Configuration.Model;

/// <summary>
/// A route's `mirror`: a share of its forwarded requests copied to a shadow cluster, whose
/// answers are read and thrown away. The copy never holds the client up: it is sent from a
/// bounded queue after the client's body has been read, and dropped (counted by reason) when
/// it cannot be sent in time.
/// </summary>
internal sealed record MirrorSettings
{
    /// <summary>`cluster`: the shadow cluster (its own destinations, balancing and health). Required; not the route's own.</summary>
    public required string Cluster { get; init; }

    /// <summary>`percent`: the share of the route's forwarded requests copied, 0–100, drawn at random per request. Default 100.</summary>
    public double Percent { get; init; } = 100;

    /// <summary>`maxBodySize`: the largest body copied, in bytes; a longer request is not mirrored. Default 64 KiB.</summary>
    public long MaxBodySize { get; init; } = 64 * 1024;

    /// <summary>`queue`: copies that may wait for a free slot towards the shadow; past it a copy is dropped. Default 100.</summary>
    public int Queue { get; init; } = 100;

    /// <summary>`concurrency`: copies in flight to the shadow at once. Default 10.</summary>
    public int Concurrency { get; init; } = 10;

    /// <summary>`timeout`: the longest a copy may take, from queueing to the end of the shadow's answer. Default 5 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}
