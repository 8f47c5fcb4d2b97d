namespace Portico.RateLimiting;

/// <summary>
/// The Lua scripts that take a batch of permits from a counter in Redis, one per algorithm. A
/// script runs atomically (Redis runs one script or command at a time), so instances taking
/// permits at once never both get the last ones. Time is the server's (TIME), so instances
/// with skewed clocks count one window. Each returns {granted, left after, ms until more come}.
/// ARGV: limit, refill (token bucket) or segments (sliding window), period in ms, permits wanted.
/// </summary>
internal static class RateLimitScripts
{
    /// <summary>
    /// A bucket of `limit` tokens refilled by `refill` every period (as PolicyLimiters' token
    /// bucket): a hash of tokens left and when the current period began.
    /// </summary>
    public const string TokenBucket = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit, refill, period, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local s = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens, at = tonumber(s[1]), tonumber(s[2])
        if tokens == nil or at == nil then
          tokens, at = limit, now
        else
          local periods = math.floor((now - at) / period)
          if periods > 0 then
            tokens = math.min(limit, tokens + periods * refill)
            at = at + periods * period
          end
        end
        local grant = math.max(0, math.min(want, tokens))
        tokens = tokens - grant
        redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', at)
        local next = period - (now - at)
        redis.call('PEXPIRE', KEYS[1], next + math.ceil((limit - tokens) / refill) * period)
        return {grant, tokens, next}
        """;

    /// <summary>
    /// At most `limit` permits in any window of `segments` periods (as PolicyLimiters' sliding
    /// window): a hash of permits per period index; indexes that left the window are deleted.
    /// More come when the oldest period holding some leaves the window.
    /// </summary>
    public const string SlidingWindow = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit, segments, period, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local current = math.floor(now / period)
        local fields = redis.call('HGETALL', KEYS[1])
        local used, oldest = 0, nil
        for i = 1, #fields, 2 do
          local index, count = tonumber(fields[i]), tonumber(fields[i + 1])
          if index <= current - segments then
            redis.call('HDEL', KEYS[1], fields[i])
          else
            used = used + count
            if count > 0 and (oldest == nil or index < oldest) then oldest = index end
          end
        end
        local grant = math.max(0, math.min(want, limit - used))
        if grant > 0 then
          redis.call('HINCRBY', KEYS[1], current, grant)
          if oldest == nil then oldest = current end
        end
        redis.call('PEXPIRE', KEYS[1], segments * period + period)
        local next = period - (now % period)
        if oldest ~= nil then next = (oldest + segments) * period - now end
        return {grant, limit - used - grant, next}
        """;
}
