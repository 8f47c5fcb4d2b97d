using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Redis;

namespace Portico.Admin;

/// <summary>
/// The shared Redis connection as the admin sees it (`GET /api/redis`, `redis` in
/// `/api/status` and the dashboard's Redis panel): configured or not, the state (connected,
/// disconnected, breaker open or half-open), the breaker alone, the endpoint, the last
/// heartbeat's round trip, the live instance count, and the mode the shared concerns are in:
/// `shared`, or `fallback` (each instance on its own: rate limits divided by the instance count).
/// </summary>
internal static class RedisAdmin
{
    public static void Map(WebApplication app, IServiceProvider proxy, System.Text.Json.JsonSerializerOptions json)
    {
        var connection = proxy.GetRequiredService<RedisConnection>();
        app.MapGet("/api/redis", () => Results.Json(View(connection), json));
    }

    public static object View(RedisConnection connection) => connection.Settings is not { } settings
        ? new { configured = false }
        : new
        {
            configured = true,
            state = State(connection),
            shared = connection.Available,
            endpoints = settings.Endpoints,
            database = settings.Database,
            keyPrefix = settings.KeyPrefix,
            tls = settings.Tls is not null,
            breaker = Breaker(connection.Breaker),
            mode = connection.Available ? "shared" : "fallback",
            latencyMs = connection.Latency?.TotalMilliseconds,
            instances = connection.Instances,
            instance = connection.InstanceId,
        };

    private static string Breaker(BreakerState state) => state switch
    {
        BreakerState.Open => "open",
        BreakerState.HalfOpen => "half-open",
        _ => "closed",
    };

    private static string State(RedisConnection connection) => connection.Breaker switch
    {
        _ when !connection.Connected => "disconnected",
        BreakerState.Open => "breaker-open",
        BreakerState.HalfOpen => "breaker-half-open",
        _ => "connected",
    };
}
