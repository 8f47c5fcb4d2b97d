using System.Diagnostics.Metrics;

namespace Portico.Cors;

/// <summary>Meter "Portico.Cors": the preflights Portico answered for routes with `cors`, allowed or not.</summary>
internal sealed class CorsMetrics
{
    public const string MeterName = "Portico.Cors";

    private readonly Counter<long> _preflights;

    public CorsMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _preflights = meter.CreateCounter<long>("portico.cors.preflights", "{request}", "CORS preflights Portico answered, by route and whether the origin, method and headers were allowed");
    }

    public void Preflight(string route, bool allowed)
        => _preflights.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("allowed", allowed ? "true" : "false"));
}
