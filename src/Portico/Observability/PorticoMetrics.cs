using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Portico.Observability;

/// <summary>
/// The proxy's instruments (meter "Portico.Proxy"). The Prometheus exporter turns names into
/// snake case with unit suffixes: portico.request.duration (s) → portico_request_duration_seconds.
/// </summary>
internal sealed class PorticoMetrics
{
    public const string MeterName = "Portico.Proxy";

    // Seconds; from 1 ms to 30 s, where a proxy's latencies live.
    private static readonly IReadOnlyList<double> LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _upstream;
    private readonly UpDownCounter<long> _activeRequests;
    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _local;
    private readonly Counter<long> _fastPath;
    private readonly Counter<long> _handedOver;

    public PorticoMetrics(IMeterFactory factory, IProxyStateLookup state)
    {
        var meter = factory.Create(MeterName);
        _requests = meter.CreateCounter<long>("portico.requests", "{request}", "Requests answered, by route, cluster and status class");
        _duration = meter.CreateHistogram("portico.request.duration", "s", "Time from request start to the end of the response", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _upstream = meter.CreateHistogram("portico.upstream.duration", "s", "Time spent exchanging with the destination", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _activeRequests = meter.CreateUpDownCounter<long>("portico.active.requests", "{request}", "Requests in progress");
        _activeConnections = meter.CreateUpDownCounter<long>("portico.active.connections", "{connection}", "Open client connections");
        _bytesIn = meter.CreateCounter<long>("portico.request.body", "By", "Request body bytes received from clients");
        _bytesOut = meter.CreateCounter<long>("portico.response.body", "By", "Response body bytes sent to clients");
        _retries = meter.CreateCounter<long>("portico.retries", "{retry}", "Retries on another destination");
        _local = meter.CreateCounter<long>("portico.local.responses", "{response}", "Responses Portico gave itself, by reason");
        _fastPath = meter.CreateCounter<long>("portico.fastpath.requests", "{request}", "Requests the fast path forwarded itself");
        _handedOver = meter.CreateCounter<long>("portico.fastpath.handovers", "{connection}", "Connections the fast path handed to the full pipeline, by the reason of the request that needed it");
        meter.CreateObservableGauge("portico.destination.healthy", () => Health(state), "{destination}", "1 when a destination takes traffic, 0 when health checks or a drain keep it out");
        meter.CreateObservableGauge("portico.destination.active.requests", () => InFlight(state), "{request}", "Requests in flight per destination");
    }

    public void RequestStarted() => _activeRequests.Add(1);

    public void FastPathServed() => _fastPath.Add(1);

    public void FastPathHandedOver(string reason) => _handedOver.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void ConnectionOpened() => _activeConnections.Add(1);

    public void ConnectionClosed() => _activeConnections.Add(-1);

    public void RequestFinished(RequestExchange exchange, int status, double seconds)
    {
        _activeRequests.Add(-1);
        var route = new KeyValuePair<string, object?>("route", exchange.Route ?? "");
        var cluster = new KeyValuePair<string, object?>("cluster", exchange.Cluster ?? "");
        _requests.Add(1, route, cluster, new KeyValuePair<string, object?>("status_class", StatusClass(status)));
        _duration.Record(seconds, route);
        if (exchange.UpstreamSeconds is { } upstream)
        {
            _upstream.Record(upstream, cluster);
        }

        if (exchange.BytesIn > 0)
        {
            _bytesIn.Add(exchange.BytesIn, route);
        }

        _bytesOut.Add(exchange.BytesOut, route);
        if (exchange.Retries > 0)
        {
            _retries.Add(exchange.Retries, route);
        }

        if (exchange.Reason is { } reason)
        {
            _local.Add(1, new KeyValuePair<string, object?>("reason", LocalReasonNames.Of(reason)));
        }
    }

    internal static string StatusClass(int status) => status switch
    {
        < 200 => "1xx",
        < 300 => "2xx",
        < 400 => "3xx",
        < 500 => "4xx",
        _ => "5xx",
    };

    private static IEnumerable<Measurement<int>> Health(IProxyStateLookup state)
    {
        foreach (var cluster in state.GetClusters())
        {
            var available = cluster.DestinationsState.AvailableDestinations;
            foreach (var destination in cluster.Destinations.Values)
            {
                yield return new Measurement<int>(available.Contains(destination) ? 1 : 0, Tags(cluster, destination));
            }
        }
    }

    private static IEnumerable<Measurement<int>> InFlight(IProxyStateLookup state)
    {
        foreach (var cluster in state.GetClusters())
        {
            foreach (var destination in cluster.Destinations.Values)
            {
                yield return new Measurement<int>(destination.ConcurrentRequestCount, Tags(cluster, destination));
            }
        }
    }

    private static KeyValuePair<string, object?>[] Tags(ClusterState cluster, DestinationState destination)
        => [new("cluster", cluster.ClusterId), new("destination", destination.DestinationId)];
}
