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

        var limiters = _policies.GetOrAdd(policy, p => new PolicyLimiters(p));
        return ValueTask.FromResult(limiters.Acquire(key));
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
