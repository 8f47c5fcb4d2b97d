namespace Portico.Redis;

/// <summary>A command's outcome: <see cref="Ok"/> false when it was not sent or failed, so the caller falls back.</summary>
internal readonly record struct RedisAnswer<T>(bool Ok, T? Value);
