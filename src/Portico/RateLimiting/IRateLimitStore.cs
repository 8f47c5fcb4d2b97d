using Portico.Configuration.Model;

namespace Portico.RateLimiting;

/// <summary>
/// Where rate-limit counters live. The in-process store serves one Portico; a shared store (for
/// example on Redis) lets several instances count one client together. Implementations must be
/// thread-safe; a policy is compared by value, so a reload with the same settings keeps counting.
/// </summary>
internal interface IRateLimitStore
{
    /// <summary>Takes one request's permit for <paramref name="key"/> under <paramref name="policy"/>.</summary>
    ValueTask<RateLimitDecision> AcquireAsync(RateLimitSettings policy, string key, CancellationToken cancellationToken);
}

/// <summary>The outcome of one request: allowed or not, permits left, and when more come back.</summary>
internal readonly record struct RateLimitDecision(bool Allowed, long Remaining, TimeSpan Reset, TimeSpan RetryAfter);
