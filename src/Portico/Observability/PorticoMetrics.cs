using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Portico.Observability;

/// <summary>
/// The proxy's instruments (meter "Portico.Proxy"). The Prometheus exporter turns names into
/// snake case with unit suffixes: portico.request.duration (s) → portico_request_duration_seconds.
/// The counters every request moves (requests by route, cluster and status class, response
/// bytes, requests in progress) are kept here and read by the exporter when it collects, rather
/// than reported to it per request: a tagged measurement costs a lookup of its tag set on every
/// call (bench/pair.sh: 1-4 % of the fast path's CPU per request).
/// </summary>
internal sealed class PorticoMetrics
{
    public const string MeterName = "Portico.Proxy";

    // Seconds; from 1 ms to 30 s, where a proxy's latencies live.
    private static readonly IReadOnlyList<double> LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    // The status_class label of each of Series.Statuses (see StatusClassIndex).
    private static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    private readonly ConcurrentDictionary<(string Route, string Cluster), Series> _series = new();
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _upstream;
    private long _openConnections;

    // One count per listener, found once per connection (never per request).
    private readonly ConcurrentDictionary<string, StrongBox<long>> _byListener = new(StringComparer.Ordinal);
    private readonly Counter<long> _bytesIn;
    private long _activeRequests;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _local;
    private readonly Counter<long> _fastPath;
    private readonly Counter<long> _handedOver;

    public PorticoMetrics(IMeterFactory factory, IProxyStateLookup state)
    {
        var meter = factory.Create(MeterName);
        meter.CreateObservableCounter("portico.requests", Requests, "{request}", "Requests answered, by route, cluster and status class");
        _duration = meter.CreateHistogram("portico.request.duration", "s", "Time from request start to the end of the response", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _upstream = meter.CreateHistogram("portico.upstream.duration", "s", "Time spent exchanging with the destination", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        meter.CreateObservableUpDownCounter("portico.active.requests", () => ActiveRequests, "{request}", "Requests in progress");
        // Read when collected, like the requests in progress: two measurements per connection
        // (opened, closed) went through the SDK's aggregation on every new connection (issue 25).
        meter.CreateObservableUpDownCounter("portico.active.connections", () => OpenConnections, "{connection}", "Open client connections");
        _bytesIn = meter.CreateCounter<long>("portico.request.body", "By", "Request body bytes received from clients");
        meter.CreateObservableCounter("portico.response.body", ResponseBytes, "By", "Response body bytes sent to clients");
        _retries = meter.CreateCounter<long>("portico.retries", "{retry}", "Retries on another destination");
        _local = meter.CreateCounter<long>("portico.local.responses", "{response}", "Responses Portico gave itself, by reason");
        _fastPath = meter.CreateCounter<long>("portico.fastpath.requests", "{request}", "Requests the fast path forwarded itself");
        _handedOver = meter.CreateCounter<long>("portico.fastpath.handovers", "{connection}", "Connections the fast path handed to the full pipeline, by the reason of the request that needed it");
        meter.CreateObservableGauge("portico.destination.healthy", () => Health(state), "{destination}", "1 when a destination takes traffic, 0 when health checks or a drain keep it out");
        meter.CreateObservableGauge("portico.destination.joining", () => Joining(state), "{destination}", "1 while a destination DNS discovery found waits for its first active health check (it takes no traffic yet, and is not down), else 0");
        meter.CreateObservableGauge("portico.destination.active.requests", () => InFlight(state), "{request}", "Requests in flight per destination");
    }

    public void RequestStarted() => Interlocked.Increment(ref _activeRequests);

    /// <summary>A request counted by <see cref="RequestStarted"/> that this path gives up on without an answer (the fast path hands it to the full path).</summary>
    public void RequestNotServed() => Interlocked.Decrement(ref _activeRequests);

    /// <summary>Requests answered since start, on both paths (the sum of every series; read by Hosting/MemoryRelease a few times a minute, never per request).</summary>
    public long RequestsAnswered
    {
        get
        {
            long total = 0;
            foreach (var series in _series.Values)
            {
                foreach (ref readonly var count in series.Statuses.AsSpan())
                {
                    total += Volatile.Read(in count);
                }
            }

            return total;
        }
    }

    /// <summary>Requests begun and not yet finished, on both paths.</summary>
    public long ActiveRequests => Volatile.Read(ref _activeRequests);

    public void FastPathServed() => _fastPath.Add(1);

    public void FastPathHandedOver(HandOverReason reason) => _handedOver.Add(1, new KeyValuePair<string, object?>("reason", HandOverReasonNames.Of(reason)));

    /// <summary>Client connections open now (the admin API's process panel; the metric is for scrapers).</summary>
    public long OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>Client connections open now on each listener (the admin API's listener panel), by listener name.</summary>
    public IReadOnlyDictionary<string, long> OpenConnectionsByListener => _byListener.ToDictionary(p => p.Key, p => Volatile.Read(ref p.Value.Value), StringComparer.Ordinal);

    /// <summary>A client connection opened on <paramref name="listener"/>; give what it returns to <see cref="ConnectionClosed"/>.</summary>
    public StrongBox<long> ConnectionOpened(string listener)
    {
        Interlocked.Increment(ref _openConnections);
        var open = _byListener.GetOrAdd(listener, static _ => new StrongBox<long>());
        Interlocked.Increment(ref open.Value);
        return open;
    }

    public void ConnectionClosed(StrongBox<long> listener)
    {
        Interlocked.Decrement(ref _openConnections);
        Interlocked.Decrement(ref listener.Value);
    }

    /// <summary>The series of one route and cluster, for callers that keep it (the fast path keeps one per route).</summary>
    public Series SeriesOf(string route, string cluster) => _series.GetOrAdd((route, cluster), static k => new Series(k.Route, k.Cluster));

    public void RequestFinished(RequestExchange exchange, int status, double seconds)
        => RequestFinished(SeriesOf(exchange.Route ?? "", exchange.Cluster ?? ""), exchange, status, seconds);

    /// <summary>A request ended: <paramref name="series"/> must be <see cref="SeriesOf"/> its route and cluster.</summary>
    public void RequestFinished(Series series, RequestExchange exchange, int status, double seconds)
    {
        Interlocked.Decrement(ref _activeRequests);
        series.Add(status, exchange.BytesOut);
        var route = series.Route;
        var cluster = series.Cluster;
        _duration.Record(seconds, route);
        if (exchange.UpstreamSeconds is { } upstream)
        {
            _upstream.Record(upstream, cluster);
        }

        if (exchange.BytesIn > 0)
        {
            _bytesIn.Add(exchange.BytesIn, route);
        }

        if (exchange.Retries > 0)
        {
            _retries.Add(exchange.Retries, route);
        }

        if (exchange.Reason is { } reason)
        {
            _local.Add(1, new KeyValuePair<string, object?>("reason", LocalReasonNames.Of(reason)));
        }
    }

    /// <summary>0 for 1xx (and anything below) to 4 for 5xx (and anything above): a status class as an array index.</summary>
    internal static int StatusClassIndex(int status) => Math.Clamp(status / 100, 1, 5) - 1;

    private IEnumerable<Measurement<long>> Requests()
    {
        foreach (var series in _series.Values)
        {
            for (var i = 0; i < series.Statuses.Length; i++)
            {
                var count = Volatile.Read(ref series.Statuses[i]);
                if (count > 0)
                {
                    yield return new Measurement<long>(count, series.Route, series.Cluster, new KeyValuePair<string, object?>("status_class", StatusClasses[i]));
                }
            }
        }
    }

    /// <summary>By route alone: the sum over the clusters a route has had (a reload may change it).</summary>
    private IEnumerable<Measurement<long>> ResponseBytes()
    {
        var byRoute = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var series in _series.Values)
        {
            byRoute[series.RouteName] = byRoute.GetValueOrDefault(series.RouteName) + Volatile.Read(ref series.BytesOut);
        }

        foreach (var (route, bytes) in byRoute)
        {
            yield return new Measurement<long>(bytes, new KeyValuePair<string, object?>("route", route));
        }
    }

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

    private static IEnumerable<Measurement<int>> Joining(IProxyStateLookup state)
    {
        foreach (var cluster in state.GetClusters())
        {
            foreach (var destination in cluster.Destinations.Values)
            {
                yield return new Measurement<int>(DiscoveredDestinations.Joining(cluster, destination) ? 1 : 0, Tags(cluster, destination));
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

    /// <summary>One route and cluster's request counts per status class, and response bytes.</summary>
    internal sealed class Series(string route, string cluster)
    {
        public readonly long[] Statuses = new long[5];
        public long BytesOut;

        public string RouteName { get; } = route;

        public KeyValuePair<string, object?> Route { get; } = new("route", route);

        public KeyValuePair<string, object?> Cluster { get; } = new("cluster", cluster);

        public void Add(int status, long bytesOut)
        {
            Interlocked.Increment(ref Statuses[StatusClassIndex(status)]);
            if (bytesOut != 0)
            {
                Interlocked.Add(ref BytesOut, bytesOut);
            }
        }
    }
}
