using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// One proxy's long-valued instruments whose names start with one of some prefixes, read in
/// process from the proxy's own meter factory: counters summed by instrument and tags from the
/// moment this is created, for a test that shares its proxy with other tests and counts only what
/// it caused (/metrics shows the proxy's totals); observable instruments read when asked.
/// </summary>
internal sealed class ProxyCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, KeyValuePair<string, string>[] Tags, long Value)> _measurements = new();
    private readonly ConcurrentDictionary<string, long> _observed = new();

    public ProxyCounters(TestProxy proxy, params string[] prefixes)
    {
        var factory = proxy.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && prefixes.Any(p => instrument.Name.StartsWith(p, StringComparison.Ordinal)))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.IsObservable)
            {
                _observed[instrument.Name] = value;
                return;
            }

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

    /// <summary>An observable instrument of one series (no tags), e.g. portico.active.requests, as it reads now.</summary>
    public long Observe(string instrument)
    {
        _listener.RecordObservableInstruments();
        Assert.True(_observed.TryGetValue(instrument, out var value), $"{instrument} is not an observable instrument this listener sees");
        return value;
    }

    /// <summary>
    /// Waits until the fast path has served <paramref name="expected"/> requests and none is in
    /// progress, then holds it to exactly that many (created with the "portico.fastpath." and
    /// "portico.active.requests" prefixes).
    /// </summary>
    public async Task AssertFastPathServedAsync(long expected)
    {
        await Poll.UntilAsync(() => Value("portico.fastpath.requests") >= expected && Observe("portico.active.requests") == 0, $"{expected} fast-path requests");
        Assert.Equal(expected, Value("portico.fastpath.requests"));
    }

    public void Dispose() => _listener.Dispose();
}
