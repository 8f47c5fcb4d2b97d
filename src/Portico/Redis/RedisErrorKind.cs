namespace Portico.Redis;

/// <summary>Why a Redis command failed, for the log and the `portico.redis.errors` counter.</summary>
internal enum RedisErrorKind
{
    /// <summary>No answer within `operationTimeout`.</summary>
    Timeout,

    /// <summary>No connection, or it broke during the command.</summary>
    Connection,

    /// <summary>The server answered with an error (a script error, an ACL refusal, out of memory).</summary>
    Server,
}
