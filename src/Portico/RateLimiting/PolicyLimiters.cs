using System.Threading.RateLimiting;
using Portico.Configuration.Model;

namespace Portico.RateLimiting;

/// <summary>
/// One policy's counters: a System.Threading.RateLimiting partitioned limiter with one token
/// bucket or sliding window per client key. The library refills them on its own timer and drops
/// partitions left idle, so a flood of one-off keys does not grow memory without bound.
/// </summary>
internal sealed class PolicyLimiters : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public PolicyLimiters(RateLimitSettings policy, RateLimitSettings source)
    {
        Policy = policy;
        Source = source;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => policy.Algorithm == RateLimitAlgorithm.TokenBucket
            ? RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = policy.Limit,
                TokensPerPeriod = policy.RefillTokens,
                ReplenishmentPeriod = policy.ReplenishEvery,
                QueueLimit = 0,
            })
            : RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = policy.Limit,
                Window = policy.Window,
                SegmentsPerWindow = policy.Segments,
                QueueLimit = 0,
            }), StringComparer.Ordinal);
    }

    public RateLimitSettings Policy { get; }

    /// <summary>The route's policy these count for: <see cref="Policy"/> itself, or the one it is the fallback of.</summary>
    public RateLimitSettings Source { get; }

    /// <summary>One permit for <paramref name="key"/>; null when these limiters were disposed (a reload pruned the policy) meanwhile.</summary>
    public RateLimitDecision? Acquire(string key)
    {
        try
        {
            using var lease = _limiter.AttemptAcquire(key);
            var remaining = _limiter.GetStatistics(key)?.CurrentAvailablePermits ?? 0;
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : Policy.ReplenishEvery;
            return new RateLimitDecision(lease.IsAcquired, remaining, Reset(Policy, remaining), retryAfter);
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Until the quota is whole again: the bucket's missing tokens at its refill rate; for a
    /// sliding window, at the latest when the whole window has moved on.
    /// </summary>
    public static TimeSpan Reset(RateLimitSettings policy, long remaining) => policy.Algorithm == RateLimitAlgorithm.TokenBucket
        ? policy.ReplenishEvery * Math.Ceiling((policy.Limit - remaining) / (double)policy.RefillTokens)
        : remaining >= policy.Limit ? TimeSpan.Zero : policy.Window;

    public void Dispose() => _limiter.Dispose();
}
