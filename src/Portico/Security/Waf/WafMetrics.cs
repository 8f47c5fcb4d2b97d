using System.Diagnostics.Metrics;

namespace Portico.Security.Waf;

/// <summary>The WAF's meter: requests inspected, by route and outcome (`passed`, `detected`, `blocked`).</summary>
internal sealed class WafMetrics
{
    public const string MeterName = "Portico.Waf";

    private readonly Counter<long> _inspected;

    public WafMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _inspected = meter.CreateCounter<long>("portico.waf.requests", "{request}", "Requests the WAF inspected, by route and outcome");
    }

    public void Inspected(string route, string outcome)
        => _inspected.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("outcome", outcome));
}
