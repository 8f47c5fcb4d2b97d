using System.Collections.Concurrent;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.RateLimiting;

/// <summary>Counters in this process: one <see cref="PolicyLimiters"/> per distinct policy.</summary>
internal sealed class MemoryRateLimitStore(TimeProvider time, ActiveConfig config) : IRateLimitStore, IDisposable
{
    private readonly ConcurrentDictionary<RateLimitSettings, PolicyLimiters> _policies = new();

    public ValueTask<RateLimitDecision> AcquireAsync(RateLimitSettings policy, string key, CancellationToken cancellationToken)
    {
        var limiters = _policies.GetOrAdd(policy, p => new PolicyLimiters(p, time, InUse));
        return ValueTask.FromResult(limiters.Acquire(key));
    }

    public void Dispose()
    {
        foreach (var limiters in _policies.Values)
        {
            limiters.Dispose();
        }
    }

    // A policy no route of the serving config uses any more is dropped at its next refill.
    private bool InUse(PolicyLimiters limiters)
    {
        foreach (var route in config.Current.Settings.Routes)
        {
            if (route.RateLimit == limiters.Policy)
            {
                return true;
            }
        }

        if (_policies.TryRemove(new KeyValuePair<RateLimitSettings, PolicyLimiters>(limiters.Policy, limiters)))
        {
            limiters.Dispose();
        }

        return false;
    }
}
