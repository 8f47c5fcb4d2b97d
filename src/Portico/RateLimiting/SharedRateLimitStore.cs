using System.Collections.Concurrent;
using System.Globalization;
using Portico.Configuration.Model;
using Portico.Redis;
using StackExchange.Redis;

namespace Portico.RateLimiting;

/// <summary>
/// The rate-limit store every route uses. Without a `redis` section (or with `shared: false`)
/// it is the in-process store. With one, a policy's permits are counted in Redis for all
/// instances together, taken in batches (<see cref="BatchSize"/>) by an atomic script, so Redis
/// is asked once per batch rather than once per request. Permits are taken before they are used,
/// so instances together never allow more than the limit; a batch one instance holds unused can
/// refuse another's client early, at most (instances − 1) × batch per refill period (see
/// docs/redis.md). While Redis is unavailable (down, slow, breaker open), each instance
/// counts alone with every limit divided by the last known instance count; shared counting
/// resumes by itself once a batch succeeds again.
/// </summary>
internal sealed class SharedRateLimitStore(MemoryRateLimitStore local, RedisConnection redis, RateLimitLog log, RateLimitMetrics metrics, TimeProvider time) : IRateLimitStore
{
    private const int MaxTries = 8;
    private readonly ConcurrentDictionary<(RateLimitSettings Policy, string Key), RateLimitAllowance> _allowances = new();
    private int _fallback;
    private long _swept;

    public ValueTask<RateLimitDecision> AcquireAsync(RateLimitSettings policy, string key, CancellationToken cancellationToken)
    {
        if (!policy.Shared || !redis.Configured)
        {
            return Counted("local", local.AcquireAsync(policy, key, cancellationToken));
        }

        return redis.Available ? SharedAsync(policy, key, cancellationToken) : FallbackAsync(policy, key, lost: true);
    }

    /// <summary>
    /// Permits per batch: a tenth of the limit shared out among the instances, at least 1 (below
    /// 10 × instances every request asks Redis, and the count is exact), at most 1000.
    /// </summary>
    public static long BatchSize(RateLimitSettings policy, long instances) => Math.Clamp(policy.Limit / (10 * Math.Max(1, instances)), 1, 1000);

    private async ValueTask<RateLimitDecision> SharedAsync(RateLimitSettings policy, string key, CancellationToken cancellationToken)
    {
        var allowance = _allowances.GetOrAdd((policy, key), _ => new RateLimitAllowance());
        for (var tries = 0; tries < MaxTries; tries++)
        {
            Task<bool> pending;
            TaskCompletionSource<bool>? mine = null;
            lock (allowance.Gate)
            {
                var now = time.GetTimestamp();
                allowance.LastUsed = now;
                if (allowance.Tokens > 0 && now < allowance.ValidUntil)
                {
                    allowance.Tokens--;
                    return Shared(policy, true, allowance.Left + allowance.Tokens, allowance.Next);
                }

                if (now < allowance.DeniedUntil)
                {
                    return Shared(policy, false, 0, time.GetElapsedTime(now, allowance.DeniedUntil));
                }

                if (allowance.Pending is null)
                {
                    mine = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    allowance.Pending = mine.Task;
                }

                pending = allowance.Pending;
            }

            if (mine is not null)
            {
                var fetched = false;
                try
                {
                    fetched = await FetchAsync(policy, key, allowance);
                }
                finally
                {
                    lock (allowance.Gate)
                    {
                        allowance.Pending = null;
                    }

                    mine.SetResult(fetched);
                }
            }

            if (!await pending)
            {
                return await FallbackAsync(policy, key, lost: true);
            }
        }

        // Other requests for the key took every batch this one waited for: more were asked for
        // than Redis gave, and the count is kept here meanwhile. Redis answered, so this is no
        // switch to per-instance counting.
        return await FallbackAsync(policy, key, lost: false);
    }

    private async Task<bool> FetchAsync(RateLimitSettings policy, string key, RateLimitAllowance allowance)
    {
        var tokenBucket = policy.Algorithm == RateLimitAlgorithm.TokenBucket;
        var period = (long)Math.Max(1, policy.ReplenishEvery.TotalMilliseconds);
        RedisKey[] keys = [redis.Key($"rl:{(tokenBucket ? "tb" : "sw")}:{policy.Name}:{key}")];
        RedisValue[] args = [policy.Limit, tokenBucket ? policy.RefillTokens : policy.Segments, period, BatchSize(policy, redis.Instances)];
        // The reply is read inside the command: a reply other than the script's three numbers (a
        // null where the array belongs) is then a failed command like any other, counted by the
        // breaker, and the request falls back rather than fail on a cast.
        var answer = await redis.RunAsync("ratelimit", async db => Batch(await db.ScriptEvaluateAsync(tokenBucket ? RateLimitScripts.TokenBucket : RateLimitScripts.SlidingWindow, keys, args)));
        metrics.Batch();
        if (!answer.Ok)
        {
            return false;
        }

        // Only an answer from Redis ends per-instance counting: permits taken before it went away
        // are still used meanwhile, and using them says nothing of Redis.
        if (Volatile.Read(ref _fallback) == 1 && Interlocked.Exchange(ref _fallback, 0) == 1)
        {
            log.SharedBack();
        }

        var (granted, left, next) = answer.Value;
        lock (allowance.Gate)
        {
            var now = time.GetTimestamp();
            if (now >= allowance.ValidUntil)
            {
                allowance.Tokens = 0;
            }

            allowance.Tokens += granted;
            allowance.ValidUntil = now + (long)(policy.ReplenishEvery.TotalSeconds * time.TimestampFrequency);
            allowance.Left = Math.Max(0, left);
            allowance.Next = TimeSpan.FromMilliseconds(Math.Max(1, next));
            allowance.DeniedUntil = granted == 0 ? now + (long)(allowance.Next.TotalSeconds * time.TimestampFrequency) : 0;
        }

        Sweep();
        return true;
    }

    // {granted, left, ms until more}, as both scripts return it; anything else throws, inside the command.
    private static (long Granted, long Left, long Next) Batch(RedisResult reply)
        => reply.Resp2Type == ResultType.Array && (RedisResult[]?)reply is [var granted, var left, var next]
            ? ((long)granted, (long)left, (long)next)
            : throw new InvalidDataException($"a rate-limit script answered {reply.Resp2Type}, not its three numbers");

    private ValueTask<RateLimitDecision> FallbackAsync(RateLimitSettings policy, string key, bool lost)
    {
        var instances = redis.Instances;
        if (lost && Interlocked.Exchange(ref _fallback, 1) == 0)
        {
            log.SharedLost(instances);
        }

        // Each instance sees about 1/N of the clients behind an L4 balancer, so 1/N of the limit
        // keeps the total near it (the instance count is the last one Redis gave).
        var divided = instances <= 1 ? policy : policy with
        {
            Limit = (int)Math.Max(1, policy.Limit / instances),
            TokensPerPeriod = (int)Math.Max(1, policy.RefillTokens / instances),
        };
        return Counted("fallback", local.AcquireFallbackAsync(policy, divided, key));
    }

    private ValueTask<RateLimitDecision> Counted(string mode, ValueTask<RateLimitDecision> decision)
    {
        // Both stores answer synchronously (the in-process one never waits).
        var result = decision.Result;
        metrics.Decided(mode, result.Allowed);
        return ValueTask.FromResult(result);
    }

    private RateLimitDecision Shared(RateLimitSettings policy, bool allowed, long remaining, TimeSpan retryAfter)
    {
        metrics.Decided("shared", allowed);
        return new RateLimitDecision(allowed, remaining, PolicyLimiters.Reset(policy, remaining), retryAfter);
    }

    // Keys idle for two refill periods go, at most once a second, so one-off client keys do not
    // grow memory without bound.
    private void Sweep()
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _swept);
        if (time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1) || Interlocked.CompareExchange(ref _swept, now, last) != last)
        {
            return;
        }

        foreach (var (id, allowance) in _allowances)
        {
            var idle = time.GetElapsedTime(allowance.LastUsed, now);
            if (allowance.Pending is null && idle > id.Policy.ReplenishEvery * 2 && idle > TimeSpan.FromSeconds(1))
            {
                _allowances.TryRemove(new KeyValuePair<(RateLimitSettings, string), RateLimitAllowance>(id, allowance));
            }
        }
    }
}
