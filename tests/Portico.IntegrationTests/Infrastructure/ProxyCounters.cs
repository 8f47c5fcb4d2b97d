using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// One proxy's counters (long-valued instruments whose names start with a prefix), summed by
/// instrument and tags from the moment this is created, read in process from the proxy's own
/// meter factory: for a test that shares its proxy with other tests and counts only what it
/// caused (/metrics shows the proxy's totals).
/// </summary>
internal sealed class ProxyCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, KeyValuePair<string, string>[] Tags, long Value)> _measurements = new();

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
            var kept = new KeyValuePair<string, string>[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                kept[i] = new(tags[i].Key, tags[i].Value?.ToString() ?? "");
            }

            _measurements.Enqueue((instrument.Name, kept, value));
        });
        _listener.Start();
    }

    /// <summary>The sum of <paramref name="instrument"/>'s measurements whose tags include all of <paramref name="tags"/>.</summary>
    public long Value(string instrument, params (string Key, string Value)[] tags)
        => _measurements
            .Where(m => m.Instrument == instrument && tags.All(t => m.Tags.Contains(new KeyValuePair<string, string>(t.Key, t.Value))))
            .Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
