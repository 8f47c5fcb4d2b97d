using System.Collections.Concurrent;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.RateLimiting;

/// <summary>Counters in this process: one <see cref="PolicyLimiters"/> per distinct policy.</summary>
internal sealed class MemoryRateLimitStore(ActiveConfig config) : IRateLimitStore, IDisposable
{
    private readonly ConcurrentDictionary<RateLimitSettings, PolicyLimiters> _policies = new();
    private ConfigSnapshot? _pruned;

    public ValueTask<RateLimitDecision> AcquireAsync(RateLimitSettings policy, string key, CancellationToken cancellationToken)
        => AcquireAsync(policy, policy, key);

    /// <summary>
    /// A permit of <paramref name="fallback"/>, a shared store's stand-in for the route's
    /// <paramref name="source"/> while Redis is away (its limit divided by the instance count):
    /// its counts live as long as <paramref name="source"/> is in a route, so a reload during
    /// the outage does not hand every client a fresh quota.
    /// </summary>
    public ValueTask<RateLimitDecision> AcquireFallbackAsync(RateLimitSettings source, RateLimitSettings fallback, string key)
        => AcquireAsync(source, fallback, key);

    private ValueTask<RateLimitDecision> AcquireAsync(RateLimitSettings source, RateLimitSettings policy, string key)
    {
        var snapshot = config.Current;
        if (!ReferenceEquals(Volatile.Read(ref _pruned), snapshot))
        {
            Prune(snapshot);
        }

        // A prune may dispose the limiters between the lookup and the acquire: a request that
        // read its policy before a reload, or a shared store's fallback policy, which no route
        // names (the first local request after Redis went away prunes while others fall back).
        // That request takes the policy's fresh limiters rather than fail.
        while (true)
        {
            var limiters = _policies.GetOrAdd(policy, p => new PolicyLimiters(p, source));
            if (limiters.Acquire(key) is { } decision)
            {
                return ValueTask.FromResult(decision);
            }

            _policies.TryRemove(new KeyValuePair<RateLimitSettings, PolicyLimiters>(policy, limiters));
        }
    }

    public void Dispose()
    {
        foreach (var limiters in _policies.Values)
        {
            limiters.Dispose();
        }
    }

    // After a reload, a policy no route uses any more is dropped; an unchanged one keeps counting,
    // and so does the fallback of one (it is in no route itself).
    private void Prune(ConfigSnapshot snapshot)
    {
        Volatile.Write(ref _pruned, snapshot);
        var inUse = snapshot.Settings.Routes.Select(r => r.RateLimit).Concat(snapshot.Settings.Routes.Select(r => r.Auth?.FailedAttempts))
            .OfType<RateLimitSettings>().ToHashSet();
        foreach (var (policy, limiters) in _policies)
        {
            if (!inUse.Contains(limiters.Source) && _policies.TryRemove(new KeyValuePair<RateLimitSettings, PolicyLimiters>(policy, limiters)))
            {
                limiters.Dispose();
            }
        }
    }
}
