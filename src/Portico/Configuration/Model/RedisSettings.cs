namespace Portico.Configuration.Model;

/// <summary>
/// The top-level `redis` section: the Redis server that several Portico instances share (rate-limit
/// counters, session keys). Without it nothing Redis-related is constructed and every concern
/// keeps its state in the process.
/// </summary>
internal sealed record RedisSettings
{
    /// <summary>`endpoints`: `host:port` of the server (or of each server a client may try). Required.</summary>
    public required IReadOnlyList<string> Endpoints { get; init; }

    /// <summary>`user`: the ACL user (Redis 6 AUTH username). Default none: the `default` user.</summary>
    public string? User { get; init; }

    /// <summary>`password` or the contents of `passwordFile` (trailing newline removed). Default none.</summary>
    public string? Password { get; init; }

    /// <summary>`passwordFile`: where <see cref="Password"/> was read from (absolute), shown instead of it.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>`tls`: connect over TLS. Default none: plain TCP.</summary>
    public RedisTlsSettings? Tls { get; init; }

    /// <summary>`database`: the logical database number. Default 0.</summary>
    public int Database { get; init; }

    /// <summary>`keyPrefix`: put before every key and channel Portico uses, so instances of another deployment on the same server never meet. Default `portico:`.</summary>
    public string KeyPrefix { get; init; } = "portico:";

    /// <summary>`connectTimeout`: one connection attempt. Default 5s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>`operationTimeout`: one command, after which it counts as failed and the caller falls back. Default 1s.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>`breakAfter`: failed commands in a row that open the circuit breaker. Default 5.</summary>
    public int BreakAfter { get; init; } = 5;

    /// <summary>`breakFor`: how long the open breaker refuses commands before one probe may try. Default 5s.</summary>
    public TimeSpan BreakFor { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>`heartbeat`: how often an instance announces itself; it is counted live for three of these. Default 5s.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether a reload must reconnect: any difference but the ones the connection reads live.</summary>
    public bool SameConnection(RedisSettings other)
        => Endpoints.SequenceEqual(other.Endpoints, StringComparer.Ordinal) && User == other.User && Password == other.Password
            && Tls == other.Tls && ConnectTimeout == other.ConnectTimeout;
}
