namespace Portico.Configuration.Model;

/// <summary>A route's `rateLimit`: how many requests one client key may make, and how they refill.</summary>
internal sealed record RateLimitSettings
{
    /// <summary>The policy name shown in RateLimit-Policy: the route id.</summary>
    public required string Name { get; init; }

    /// <summary>`algorithm`: token-bucket (default) or sliding-window.</summary>
    public RateLimitAlgorithm Algorithm { get; init; } = RateLimitAlgorithm.TokenBucket;

    /// <summary>`limit`: bucket size, or requests per window. Required.</summary>
    public required int Limit { get; init; }

    /// <summary>`window`: the sliding window's length, or the token bucket's refill period. Default 1m.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>`tokensPerPeriod`: token-bucket only: tokens added each `window`. Default (0 here): `limit`.</summary>
    public int TokensPerPeriod { get; init; }

    /// <summary>`segments`: sliding-window only: the window moves in this many steps. Default 6.</summary>
    public int Segments { get; init; } = 6;

    /// <summary>`key`: what identifies a client: client-ip (default), header:NAME, api-key or claim:TYPE.</summary>
    public RateLimitKeySpec Key { get; init; } = new(RateLimitKeyKind.ClientIp, "");

    /// <summary>`shared`: with a top-level `redis` section, count across every instance sharing it. Default true.</summary>
    public bool Shared { get; init; } = true;

    /// <summary>Tokens added per refill (token-bucket).</summary>
    public int RefillTokens => TokensPerPeriod > 0 ? TokensPerPeriod : Limit;

    /// <summary>How often the limiter is refilled: the token bucket's period, or one window segment.</summary>
    public TimeSpan ReplenishEvery => Algorithm == RateLimitAlgorithm.TokenBucket ? Window : Window / Segments;
}

internal enum RateLimitAlgorithm
{
    TokenBucket,
    SlidingWindow,
}

internal enum RateLimitKeyKind
{
    ClientIp,
    Header,
    ApiKey,
    Claim,
}

/// <summary>Where a request's rate-limit key comes from; <see cref="Name"/> is the header or claim type.</summary>
internal sealed record RateLimitKeySpec(RateLimitKeyKind Kind, string Name);
