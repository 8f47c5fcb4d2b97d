using System.Diagnostics.Metrics;

namespace Portico.Configuration;

/// <summary>Config instruments (meter "Portico.Configuration"): loads by result, and the serving revision.</summary>
internal sealed class ConfigMetrics
{
    private readonly Counter<long> _loads;
    private int _serving;

    public ConfigMetrics(IMeterFactory factory)
    {
        var meter = factory.Create("Portico.Configuration");
        _loads = meter.CreateCounter<long>("portico.config.reloads", "{reload}", "Config loads, by result (applied or refused)");
        meter.CreateObservableGauge("portico.config.revision", () => Volatile.Read(ref _serving), "{revision}", "Revision of the config now serving");
    }

    public void Loaded(bool applied) => _loads.Add(1, new KeyValuePair<string, object?>("result", applied ? "applied" : "refused"));

    public void Serving(int revision) => Volatile.Write(ref _serving, revision);
}
