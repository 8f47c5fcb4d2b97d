namespace Portico.Observability;

/// <summary>
/// One minute of the hour's history, starting at unix second <see cref="Start"/> and covering
/// <see cref="Seconds"/> seconds of it (60, fewer for the minute under way, so a rate is
/// Requests ÷ Seconds). Latencies in seconds (upper bound of the histogram bucket); null with no requests.
/// </summary>
internal sealed record MinutePoint(long Start, int Seconds, long Requests, long[] Status, long Local, double? P50, double? P95, double? P99);
