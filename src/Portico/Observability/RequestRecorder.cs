using Microsoft.AspNetCore.Http;

namespace Portico.Observability;

/// <summary>
/// The end-of-request record, for both paths (<see cref="ObservabilityMiddleware"/> and the fast
/// path): the metrics, the dashboard's statistics and the access log, all from one
/// <see cref="RequestExchange"/>, so a request counts the same whichever path served it.
/// </summary>
internal sealed class RequestRecorder(PorticoMetrics metrics, TrafficStats stats, AccessLogWriter accessLog)
{
    /// <summary>A route's metric series and dashboard totals, for a caller that keeps them per route (the fast path).</summary>
    public RouteTallies TalliesOf(string route, string cluster) => new(metrics.SeriesOf(route, cluster), stats.TotalsOf(route, cluster));

    /// <summary>A request ended with <paramref name="status"/> after <paramref name="seconds"/>; <paramref name="tallies"/> are its route's when the caller has them.</summary>
    public void Record<TSource>(RequestExchange exchange, int status, double seconds, RouteTallies? tallies, in TSource source)
        where TSource : IAccessLogSource, allows ref struct
    {
        if (tallies is { } t)
        {
            metrics.RequestFinished(t.Series, exchange, status, seconds);
            stats.Record(t.Totals, exchange, status, seconds);
        }
        else
        {
            metrics.RequestFinished(exchange, status, seconds);
            stats.Record(exchange, status, seconds);
        }

        if (accessLog.Enabled)
        {
            accessLog.Write(source.Describe(), exchange, status, seconds);
        }
    }

    /// <summary>The full path's access-log source.</summary>
    public readonly struct Http(HttpContext context) : IAccessLogSource
    {
        public AccessLogRequest Describe() => AccessLogRequest.From(context);
    }
}

/// <summary>A route's metric series and dashboard totals (<see cref="PorticoMetrics"/>, <see cref="TrafficStats"/>).</summary>
internal sealed record RouteTallies(PorticoMetrics.Series Series, TrafficStats.RouteTotals Totals);
