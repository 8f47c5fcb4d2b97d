namespace Portico.RateLimiting;

/// <summary>
/// One client key's permits under one shared policy on this instance: a batch taken from Redis
/// and not used yet, or a refusal Redis gave that holds until more permits come. Fields are
/// read and written under <see cref="Gate"/>; times are <see cref="TimeProvider"/> timestamps.
/// </summary>
internal sealed class RateLimitAllowance
{
    public Lock Gate { get; } = new();

    /// <summary>Permits taken from Redis and not used yet.</summary>
    public long Tokens { get; set; }

    /// <summary>Unused permits are dropped after this (one refill period after they were taken), so a stale batch does not outlive its window.</summary>
    public long ValidUntil { get; set; }

    /// <summary>Redis had no permit left: refused here, without asking, until this.</summary>
    public long DeniedUntil { get; set; }

    /// <summary>Permits Redis had left for every instance after the last batch.</summary>
    public long Left { get; set; }

    /// <summary>When, after the last batch, Redis gives more permits.</summary>
    public TimeSpan Next { get; set; }

    /// <summary>The batch being asked for, which other requests for the key wait on rather than ask again.</summary>
    public Task<bool>? Pending { get; set; }

    public long LastUsed { get; set; }
}
