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
            var limiters = _policies.GetOrAdd(policy, p => new PolicyLimiters(p));
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

    // After a reload, a policy no route uses any more is dropped; an unchanged one keeps counting.
    private void Prune(ConfigSnapshot snapshot)
    {
        Volatile.Write(ref _pruned, snapshot);
        var inUse = snapshot.Settings.Routes.Select(r => r.RateLimit).Concat(snapshot.Settings.Routes.Select(r => r.Auth?.FailedAttempts))
            .OfType<RateLimitSettings>().ToHashSet();
        foreach (var (policy, limiters) in _policies)
        {
            if (!inUse.Contains(policy) && _policies.TryRemove(new KeyValuePair<RateLimitSettings, PolicyLimiters>(policy, limiters)))
            {
                limiters.Dispose();
            }
        }
    }
}
