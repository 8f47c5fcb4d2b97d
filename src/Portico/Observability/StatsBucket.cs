namespace Portico.Observability;

/// <summary>
/// The traffic of one span of time (a second, or a minute of the hour's history): requests,
/// status classes, local answers and a latency histogram on <see cref="TrafficStats.Bounds"/>.
/// Callers hold <see cref="Gate"/> while they read or change it.
/// </summary>
internal sealed class StatsBucket
{
    public readonly Lock Gate = new();
    public readonly long[] Status = new long[5];
    public readonly long[] Latency = new long[TrafficStats.Bounds.Length];

    /// <summary>The unix second the span starts at; -1 while it holds nothing.</summary>
    public long Second = -1;
    public long Requests;
    public long Local;

    public void Reset(long second)
    {
        Second = second;
        Requests = 0;
        Local = 0;
        Array.Clear(Status);
        Array.Clear(Latency);
    }

    /// <summary>Adds this span's counts to <paramref name="target"/>'s (a longer span).</summary>
    public void AddTo(StatsBucket target)
    {
        target.Requests += Requests;
        target.Local += Local;
        for (var i = 0; i < Status.Length; i++)
        {
            target.Status[i] += Status[i];
        }

        for (var i = 0; i < Latency.Length; i++)
        {
            target.Latency[i] += Latency[i];
        }
    }

    public SecondPoint ToPoint() => new(Second, Requests, [.. Status], Local, Percentile(0.5), Percentile(0.95), Percentile(0.99));

    /// <summary>This span as a point of the hour's history, covering <paramref name="seconds"/> seconds (fewer for the minute under way).</summary>
    public MinutePoint ToMinute(int seconds) => new(Second, seconds, Requests, [.. Status], Local, Percentile(0.5), Percentile(0.95), Percentile(0.99));

    private double? Percentile(double p) => TrafficStats.Percentile(Latency, p);
}
