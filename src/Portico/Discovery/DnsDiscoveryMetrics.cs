using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Portico.Discovery;

/// <summary>
/// Meter "Portico.Discovery": DNS lookups by cluster and outcome, and how many destinations
/// each cluster's last answer gave. Each destination's own series (health, requests) are
/// the forwarder's, under its `IP:port` name.
/// </summary>
internal sealed class DnsDiscoveryMetrics
{
    public const string MeterName = "Portico.Discovery";

    private readonly Counter<long> _lookups;
    private readonly ConcurrentDictionary<string, int> _found = new(StringComparer.Ordinal);

    public DnsDiscoveryMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _lookups = meter.CreateCounter<long>("portico.dns.lookups", "{lookup}", "DNS lookups of clusters' discovery names, by cluster and outcome (answered, failed)");
        meter.CreateObservableGauge("portico.dns.destinations", () => _found.Select(f => new Measurement<int>(f.Value, new KeyValuePair<string, object?>("cluster", f.Key))),
            "{destination}", "destinations the last answer for a cluster's discovery name gave");
    }

    public void Looked(string cluster, bool answered)
        => _lookups.Add(1, new KeyValuePair<string, object?>("cluster", cluster), new KeyValuePair<string, object?>("outcome", answered ? "answered" : "failed"));

    public void Found(string cluster, int count) => _found[cluster] = count;

    public void Forget(string cluster) => _found.TryRemove(cluster, out _);
}
