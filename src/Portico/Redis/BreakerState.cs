namespace Portico.Redis;

/// <summary>The circuit breaker's states; the numbers are the `portico.redis.breaker.state` gauge's.</summary>
internal enum BreakerState
{
    Closed = 0,
    HalfOpen = 1,
    Open = 2,
}
