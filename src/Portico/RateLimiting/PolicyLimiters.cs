using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Portico.Configuration.Model;

namespace Portico.RateLimiting;

/// <summary>
/// One policy's limiters, one per client key, from System.Threading.RateLimiting. They are
/// refilled by one timer from the injected <see cref="TimeProvider"/> (AutoReplenishment off:
/// each TryReplenish adds one period's tokens, or moves the window one segment), so tests can
/// drive time. A limiter back at its full quota holds no state worth keeping and is dropped.
/// </summary>
internal sealed class PolicyLimiters : IDisposable
{
    private readonly ConcurrentDictionary<string, ReplenishingRateLimiter> _byKey = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Func<PolicyLimiters, bool> _inUse;
    private readonly ITimer _timer;
    private long _lastRefill;

    public PolicyLimiters(RateLimitSettings policy, TimeProvider time, Func<PolicyLimiters, bool> inUse)
    {
        Policy = policy;
        _time = time;
        _inUse = inUse;
        _lastRefill = time.GetTimestamp();
        _timer = time.CreateTimer(_ => Refill(), null, policy.ReplenishEvery, policy.ReplenishEvery);
    }

    public RateLimitSettings Policy { get; }

    public int Keys => _byKey.Count;

    public RateLimitDecision Acquire(string key)
    {
        var limiter = _byKey.GetOrAdd(key, _ => Create());
        using var lease = limiter.AttemptAcquire(1);
        var remaining = limiter.GetStatistics()?.CurrentAvailablePermits ?? 0;
        var reset = Policy.ReplenishEvery - _time.GetElapsedTime(Volatile.Read(ref _lastRefill));
        if (reset < TimeSpan.Zero)
        {
            reset = TimeSpan.Zero;
        }

        // A token comes back at the next refill; a sliding window frees a permit only when the
        // segment it was spent in leaves the window, at the latest one whole window from now.
        var retryAfter = Policy.Algorithm == RateLimitAlgorithm.TokenBucket ? reset : reset + Policy.Window - Policy.ReplenishEvery;
        return new RateLimitDecision(lease.IsAcquired, remaining, reset, retryAfter);
    }

    public void Dispose()
    {
        _timer.Dispose();
        foreach (var limiter in _byKey.Values)
        {
            limiter.Dispose();
        }
    }

    private void Refill()
    {
        Volatile.Write(ref _lastRefill, _time.GetTimestamp());
        if (!_inUse(this))
        {
            return;
        }

        foreach (var (key, limiter) in _byKey)
        {
            limiter.TryReplenish();
            if (limiter.GetStatistics()?.CurrentAvailablePermits >= Policy.Limit && _byKey.TryRemove(new KeyValuePair<string, ReplenishingRateLimiter>(key, limiter)))
            {
                limiter.Dispose();
            }
        }
    }

    private ReplenishingRateLimiter Create() => Policy.Algorithm == RateLimitAlgorithm.TokenBucket
        ? new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Policy.Limit,
            TokensPerPeriod = Policy.TokensPerPeriod,
            ReplenishmentPeriod = Policy.ReplenishEvery,
            AutoReplenishment = false,
            QueueLimit = 0,
        })
        : new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = Policy.Limit,
            Window = Policy.Window,
            SegmentsPerWindow = Policy.Segments,
            AutoReplenishment = false,
            QueueLimit = 0,
        });
}
