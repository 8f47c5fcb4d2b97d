using System.Diagnostics.Metrics;

namespace Portico.Redis;

/// <summary>
/// Meter "Portico.Redis": whether the connection is up, how long commands take, the errors by
/// kind, the circuit breaker's state and the live instance count. Read from the connection as
/// it is when the metrics are collected; nothing is recorded while no `redis` section exists.
/// </summary>
internal sealed class RedisMetrics
{
    public const string MeterName = "Portico.Redis";

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;

    public RedisMetrics(IMeterFactory factory)
    {
        _meter = factory.Create(MeterName);
        _duration = _meter.CreateHistogram<double>("portico.redis.command.duration", "s", "Time a Redis command took, by operation (failed ones included)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _errors = _meter.CreateCounter<long>("portico.redis.errors", "{error}", "Failed Redis commands, by kind: timeout, connection, server");
    }

    /// <summary>Observes <paramref name="connection"/>'s state; called once, by the connection itself.</summary>
    public void Observe(RedisConnection connection)
    {
        _meter.CreateObservableGauge("portico.redis.connected", () => connection.Configured ? [new Measurement<int>(connection.Connected ? 1 : 0)] : Array.Empty<Measurement<int>>(),
            "{state}", "1 while connected to Redis, 0 while not (absent without a redis section)");
        _meter.CreateObservableGauge("portico.redis.breaker.state", () => connection.Configured ? [new Measurement<int>((int)connection.Breaker)] : Array.Empty<Measurement<int>>(),
            "{state}", "The circuit breaker: 0 closed (commands flow), 1 half-open (one probe), 2 open (no commands)");
        _meter.CreateObservableGauge("portico.redis.instances", () => connection.Configured ? [new Measurement<long>(connection.Instances)] : Array.Empty<Measurement<long>>(),
            "{instance}", "Live Portico instances sharing the server, as last counted (the heartbeat)");
    }

    public void Command(string operation, TimeSpan elapsed) => _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    public void Error(RedisErrorKind kind) => _errors.Add(1, new KeyValuePair<string, object?>("kind", RedisErrorKinds.Name(kind)));
}
