using System.Globalization;
using System.Net;
using Portico.Configuration;
using Portico.Configuration.Model;
using Yarp.ReverseProxy.Configuration;

namespace Portico.Discovery;

/// <summary>
/// One cluster's discovery: looks its name up, hands the addresses to
/// <see cref="DiscoveredDestinations"/> as `http://IP:port/` destinations named `IP:port`, and
/// asks again when the shortest TTL runs out, held within minRefresh..maxRefresh. Addresses in
/// the first answer take traffic at once, as listed destinations do; one that appears later is
/// marked to wait for a passing active check. A failed lookup keeps what was found before.
/// </summary>
internal sealed class DnsWatch : IAsyncDisposable
{
    private readonly string _cluster;
    private readonly DiscoveredDestinations _found;
    private readonly DnsDiscoveryLog _log;
    private readonly DnsDiscoveryMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstLookup = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;

    public DnsWatch(string cluster, DnsDiscoverySettings settings, DiscoveredDestinations found, DnsDiscoveryLog log, DnsDiscoveryMetrics metrics, TimeProvider time)
    {
        (_cluster, Settings, _found, _log, _metrics, _time) = (cluster, settings, found, log, metrics, time);
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public DnsDiscoverySettings Settings { get; }

    /// <summary>Completes once the first lookup has answered or failed.</summary>
    public Task FirstLookup => _firstLookup.Task;

    private async Task RunAsync(CancellationToken stop)
    {
        var client = DnsLookup.ClientFor(Settings.Resolver);
        var source = Settings.Describe();
        var current = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        var answered = false;
        var failing = false;
        while (!stop.IsCancellationRequested)
        {
            var answer = await DnsLookup.ResolveAsync(client, Settings.Name, stop);
            if (stop.IsCancellationRequested)
            {
                break;
            }

            _metrics.Looked(_cluster, answer.Failure is null);
            var wait = Settings.MinRefresh;
            if (answer.Failure is { } reason)
            {
                if (!failing)
                {
                    _log.Failed(_cluster, Settings.Name, current.Count, Duration.Format(wait), reason);
                }

                failing = true;
            }
            else
            {
                if (failing)
                {
                    _log.Recovered(_cluster, Settings.Name);
                }

                failing = false;
                var next = Next(current, answer.Addresses, joinAfterCheck: answered);
                Report(current, next, first: !answered);
                if (!answered || !next.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase).SetEquals(current.Keys))
                {
                    _found.Set(_cluster, source, next);
                }

                (current, answered) = (next, true);
                _metrics.Found(_cluster, next.Count);
                if (answer.Ttl is { } ttl && next.Count > 0)
                {
                    wait = ttl < Settings.MinRefresh ? Settings.MinRefresh : ttl > Settings.MaxRefresh ? Settings.MaxRefresh : ttl;
                }
            }

            _firstLookup.TrySetResult();
            try
            {
                await Task.Delay(wait, _time, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>The new set: kept addresses keep their config (and so their mark), new ones get one.</summary>
    private Dictionary<string, DestinationConfig> Next(Dictionary<string, DestinationConfig> current, IReadOnlyList<IPAddress> addresses, bool joinAfterCheck)
    {
        var next = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var address in addresses)
        {
            var endpoint = new IPEndPoint(address, Settings.Port).ToString();
            next[endpoint] = current.TryGetValue(endpoint, out var kept) ? kept : new DestinationConfig
            {
                Address = $"http://{endpoint}/",
                // The Host sent when a route does not preserve the client's (preserveHost: false).
                Host = Settings.Port == 80 ? Settings.Name : $"{Settings.Name}:{Settings.Port.ToString(CultureInfo.InvariantCulture)}",
                Metadata = joinAfterCheck ? new Dictionary<string, string> { [DiscoveredDestinations.JoinAfterCheckKey] = "true" } : null,
            };
        }

        return next;
    }

    private void Report(Dictionary<string, DestinationConfig> before, Dictionary<string, DestinationConfig> after, bool first)
    {
        var added = after.Keys.Where(k => !before.ContainsKey(k)).Order(StringComparer.Ordinal).ToArray();
        var removed = before.Keys.Where(k => !after.ContainsKey(k)).Order(StringComparer.Ordinal).ToArray();
        if (added.Length > 0 || removed.Length > 0)
        {
            _log.Changed(_cluster, Settings.Name, after.Count, string.Join(", ", added), string.Join(", ", removed));
        }

        if (after.Count == 0 && (before.Count > 0 || first))
        {
            _log.Empty(_cluster, Settings.Name);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
