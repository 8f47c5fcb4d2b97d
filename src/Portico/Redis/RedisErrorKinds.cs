namespace Portico.Redis;

/// <summary>The names of <see cref="RedisErrorKind"/> as logs and metrics spell them.</summary>
internal static class RedisErrorKinds
{
    public static string Name(RedisErrorKind kind) => kind switch
    {
        RedisErrorKind.Timeout => "timeout",
        RedisErrorKind.Connection => "connection",
        _ => "server",
    };
}
