using System.Diagnostics.Metrics;

namespace Portico.Security;

/// <summary>
/// Connection-level refusals (meter "Portico.Guard"): those end before a request exists, so the
/// per-request `portico.local.responses` cannot count them. Request-level refusals are counted
/// there, by their <see cref="Observability.LocalReason"/>.
/// </summary>
internal sealed class GuardMetrics
{
    public const string MeterName = "Portico.Guard";
    public const string Framing = "malformed_framing";
    public const string HeaderTimeout = "header_timeout";
    public const string PerIpLimit = "per_ip_limit";
    public const string TotalLimit = "max_connections";
    public const string PlainHttp = "plain_http_on_tls";

    private readonly Counter<long> _refused;

    public GuardMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _refused = meter.CreateCounter<long>("portico.guard.connections.refused", "{connection}", "Client connections Portico closed itself, by reason");
    }

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
