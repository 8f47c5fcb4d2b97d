using Microsoft.Extensions.Hosting;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Discovery;

/// <summary>
/// Keeps one <see cref="DnsWatch"/> per cluster with `discovery`, following reloads: a cluster
/// whose discovery is unchanged keeps its watch and what it found (no gap in its destinations);
/// a changed or removed one is stopped and its records dropped. At start-up the listeners open
/// only after every watch's first lookup (bounded by the lookup's own timeout), so the first
/// requests already find the records.
/// </summary>
internal sealed class DnsDiscoveryService(ActiveConfig config, DiscoveredDestinations found, DnsDiscoveryLog log, DnsDiscoveryMetrics metrics, TimeProvider time)
    : IHostedLifecycleService
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DnsWatch> _watches = new(StringComparer.Ordinal);

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        Task[] first;
        lock (_gate)
        {
            config.Changed += Follow;
            Follow(config.Current);
            first = _watches.Values.Select(w => w.FirstLookup).ToArray();
        }

        await Task.WhenAll(first).WaitAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        DnsWatch[] watches;
        lock (_gate)
        {
            config.Changed -= Follow;
            watches = _watches.Values.ToArray();
            _watches.Clear();
        }

        foreach (var watch in watches)
        {
            await watch.DisposeAsync();
        }
    }

    private void Follow(ConfigSnapshot snapshot)
    {
        lock (_gate)
        {
            var wanted = snapshot.Settings.Clusters.Where(c => c.Discovery is not null).ToDictionary(c => c.Id, c => c.Discovery!, StringComparer.Ordinal);
            foreach (var (cluster, watch) in _watches.ToArray())
            {
                if (!wanted.TryGetValue(cluster, out var settings) || settings != watch.Settings)
                {
                    Stop(cluster, watch);
                }
            }

            foreach (var (cluster, settings) in wanted)
            {
                if (!_watches.ContainsKey(cluster))
                {
                    _watches[cluster] = new DnsWatch(cluster, settings, found, log, metrics, time);
                }
            }
        }
    }

    private void Stop(string cluster, DnsWatch watch)
    {
        _watches.Remove(cluster);
        found.Remove(cluster);
        metrics.Forget(cluster);

        // Not awaited under the lock: the loop ends at its next await, and a last answer it
        // hands over is ignored (its discovery no longer matches the cluster's).
        _ = watch.DisposeAsync().AsTask();
    }
}
