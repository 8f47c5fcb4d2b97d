using System.Net;
using Portico.Configuration.Model;
using Portico.RateLimiting;

namespace Portico.FastPath;

/// <summary>
/// A route's `rateLimit` on the fast path, as the rate-limiting stage does it (RateLimitMiddleware):
/// the same store (in process, or shared through Redis with its fallback, metrics and logs), the
/// same key, and on every answer RateLimit-Policy and RateLimit; over the limit the caller answers
/// 429 with Retry-After (<see cref="FastLocalAnswer.RefuseAsync"/>). A request's permit is taken
/// only once nothing will hand it to the full path, which would take another.
/// </summary>
internal sealed class FastRateLimit(IRateLimitStore store, FastRecorder recorder)
{
    private static readonly byte[] PolicyName = "RateLimit-Policy"u8.ToArray();
    private static readonly byte[] CurrentName = "RateLimit"u8.ToArray();
    private static readonly byte[] RetryAfterName = "Retry-After"u8.ToArray();

    /// <summary>
    /// Counts the request against the route's limit and adds the fields to its answer; false when
    /// it is over the limit, with Retry-After added for the 429.
    /// </summary>
    public async ValueTask<bool> AdmitAsync(FastConnection state, RateLimitSettings policy)
    {
        var key = RateLimitKeys.Of(new Request(state, recorder), policy.Key);
        var decision = await store.AcquireAsync(policy, key, CancellationToken.None);
        if (!decision.Allowed)
        {
            state.Fields.Add(RetryAfterName, RateLimitHeaders.RetryAfter(decision));
        }

        state.Fields.Add(PolicyName, RateLimitHeaders.Policy(policy));
        state.Fields.Add(CurrentName, RateLimitHeaders.Current(policy, decision));
        return decision.Allowed;
    }

    /// <summary>The fast path's request as the key reads it: fields from the head, no claims (a route with `auth` never takes the fast path).</summary>
    private readonly struct Request(FastConnection state, FastRecorder recorder) : IRateLimitRequest
    {
        public string Header(string name) => state.Head.Values(name).ToString();

        public string? Claim(string type) => null;

        public IPAddress Client() => recorder.ClientOf(state);
    }
}
