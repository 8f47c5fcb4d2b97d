namespace Portico.Mirroring;

/// <summary>
/// The bounds of one route's mirror under one config: how many copies wait or are in flight,
/// and the slots towards the shadow. A reload gives the route a new lane (its settings are a new
/// record); the old one's copies finish or time out on their own.
/// </summary>
internal sealed class MirrorLane(int queue, int concurrency)
{
    private int _pending;

    /// <summary>Copies in flight to the shadow at once.</summary>
    public SemaphoreSlim Slots { get; } = new(concurrency, concurrency);

    /// <summary>Takes a place for a copy, or says there is none left (queue and slots full).</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _pending) <= queue + concurrency)
        {
            return true;
        }

        Interlocked.Decrement(ref _pending);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref _pending);
}
