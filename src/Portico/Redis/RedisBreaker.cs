namespace Portico.Redis;

/// <summary>
/// The circuit breaker in front of Redis. Closed: commands go; `breakAfter` failures in a row open
/// it. Open: no command goes (callers use their per-instance state at once instead of waiting out a
/// timeout each) until `breakFor` has passed; then one probe command may go (half-open), and its
/// success closes the breaker while its failure opens it again for another `breakFor`. Nothing
/// outside a command is needed to close it, so shared mode comes back by itself.
/// </summary>
internal sealed class RedisBreaker(TimeProvider time)
{
    private readonly Lock _lock = new();
    private BreakerState _state;
    private int _failures;
    private long _openedAt;

    public BreakerState State => _state;

    /// <summary>Whether a command may go now; in the open state, the first caller after `breakFor` becomes the probe.</summary>
    public bool TryEnter(TimeSpan breakFor)
    {
        if (_state == BreakerState.Closed)
        {
            return true;
        }

        lock (_lock)
        {
            if (_state != BreakerState.Open || time.GetElapsedTime(_openedAt) < breakFor)
            {
                return _state == BreakerState.Closed;
            }

            _state = BreakerState.HalfOpen;
            return true;
        }
    }

    /// <summary>A command succeeded; true when that closed the breaker.</summary>
    public bool Succeeded()
    {
        if (_state == BreakerState.Closed && Volatile.Read(ref _failures) == 0)
        {
            return false;
        }

        lock (_lock)
        {
            _failures = 0;
            var closed = _state != BreakerState.Closed;
            _state = BreakerState.Closed;
            return closed;
        }
    }

    /// <summary>A command failed; true when that opened the breaker (the number of failures in a row is given).</summary>
    public bool Failed(int breakAfter, out int failures)
    {
        lock (_lock)
        {
            failures = ++_failures;
            if (_state == BreakerState.Open || (_state == BreakerState.Closed && failures < breakAfter))
            {
                return false;
            }

            var opened = _state == BreakerState.Closed;
            _state = BreakerState.Open;
            _openedAt = time.GetTimestamp();
            return opened;
        }
    }
}
