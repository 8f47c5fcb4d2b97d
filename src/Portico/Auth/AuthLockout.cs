using System.Collections.Concurrent;
using Portico.Configuration.Model;
using Portico.RateLimiting;

namespace Portico.Auth;

/// <summary>
/// Slows down credential guessing: each failed attempt takes a permit from the route's
/// `failedAttempts` policy in the rate limiter's store (so a shared store counts across
/// instances); once a client has none left it is locked out of that route until the limiter
/// would give it one again, and refused before its credentials are even checked, so a correct
/// guess during the lockout gains nothing.
/// </summary>
internal sealed class AuthLockout(IRateLimitStore store, TimeProvider time)
{
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<(string Route, string Client), long> _until = new();

    /// <summary>How long <paramref name="client"/> stays locked out of <paramref name="route"/>; null when it is not.</summary>
    public TimeSpan? LockedFor(string route, string client)
    {
        if (_until.IsEmpty || !_until.TryGetValue((route, client), out var until))
        {
            return null;
        }

        var left = TimeSpan.FromTicks(until - time.GetUtcNow().UtcTicks);
        if (left > TimeSpan.Zero)
        {
            return left;
        }

        _until.TryRemove(new KeyValuePair<(string, string), long>((route, client), until));
        return null;
    }

    /// <summary>Counts one failure; the lockout's length when this one used up the client's allowance, else null.</summary>
    public async ValueTask<TimeSpan?> FailedAsync(RateLimitSettings policy, string route, string client, CancellationToken cancellationToken)
    {
        var decision = await store.AcquireAsync(policy, "ip:" + client, cancellationToken);
        if (decision.Allowed)
        {
            return null;
        }

        var retryAfter = decision.RetryAfter > TimeSpan.Zero ? decision.RetryAfter : policy.ReplenishEvery;
        var now = time.GetUtcNow().UtcTicks;
        if (_until.Count > PruneAbove)
        {
            foreach (var (key, until) in _until)
            {
                if (until <= now)
                {
                    _until.TryRemove(new KeyValuePair<(string, string), long>(key, until));
                }
            }
        }

        _until[(route, client)] = now + retryAfter.Ticks;
        return retryAfter;
    }
}
