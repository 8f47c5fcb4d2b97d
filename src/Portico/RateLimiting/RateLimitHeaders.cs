using System.Globalization;
using Portico.Configuration.Model;

namespace Portico.RateLimiting;

/// <summary>
/// The fields of draft-ietf-httpapi-ratelimit-headers (-10): `RateLimit-Policy: "name";q=QUOTA;w=WINDOW`
/// and `RateLimit: "name";r=REMAINING;t=SECONDS-TO-RESET`, both Structured Field lists; and
/// `Retry-After` (RFC 9110 §10.2.3) in whole seconds on a 429.
/// </summary>
internal static class RateLimitHeaders
{
    public static string Policy(RateLimitSettings policy)
        => $"\"{policy.Name}\";q={policy.Limit};w={Seconds(policy.Window)}";

    public static string Current(RateLimitSettings policy, RateLimitDecision decision)
        => $"\"{policy.Name}\";r={decision.Remaining};t={Seconds(decision.Reset)}";

    public static string RetryAfter(RateLimitDecision decision) => Math.Max(1, Seconds(decision.RetryAfter)).ToString(CultureInfo.InvariantCulture);

    private static long Seconds(TimeSpan span) => (long)Math.Ceiling(span.TotalSeconds);
}
