using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// One proxy's counters (long-valued instruments whose names start with a prefix), summed by
/// instrument and tags from the moment this is created. Read in process from the proxy's own
/// meter factory: the Prometheus exporter listens by meter name, so in a test process /metrics
/// also shows the series of every other proxy that tests run at the same time, with the same
/// labels.
/// </summary>
internal sealed class ProxyCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _values = new();

    public ProxyCounters(TestProxy proxy, string prefix)
    {
        var factory = proxy.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var key in Keys(instrument.Name, tags))
            {
                _values.AddOrUpdate(key, value, (_, v) => v + value);
            }
        });
        _listener.Start();
    }

    /// <summary>The sum of <paramref name="instrument"/>'s measurements whose tags include all of <paramref name="tags"/>.</summary>
    public long Value(string instrument, params (string Key, string Value)[] tags)
        => _values.GetValueOrDefault(Key(instrument, tags));

    public void Dispose() => _listener.Dispose();

    // Each measurement counts under every subset of its tags, so Value can ask for any of them.
    private static IEnumerable<string> Keys(string instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pairs = new List<(string Key, string Value)>();
        foreach (var tag in tags)
        {
            pairs.Add((tag.Key, tag.Value?.ToString() ?? ""));
        }

        var keys = new List<string>();
        for (var mask = 0; mask < 1 << pairs.Count; mask++)
        {
            keys.Add(Key(instrument, pairs.Where((_, i) => (mask & (1 << i)) != 0).ToArray()));
        }

        return keys;
    }

    private static string Key(string instrument, (string Key, string Value)[] tags)
        => instrument + "|" + string.Join(",", tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
}
