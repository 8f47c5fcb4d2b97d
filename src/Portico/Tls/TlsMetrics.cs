using System.Diagnostics.Metrics;

namespace Portico.Tls;

/// <summary>
/// TLS instruments (meter "Portico.Tls"): how long each served certificate has left, certificate
/// file reloads, and ACME orders, so expiry and failing renewals can be alerted on.
/// </summary>
internal sealed class TlsMetrics
{
    public const string MeterName = "Portico.Tls";
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _orders;
    private readonly Counter<long> _cipherRefusals;

    public TlsMetrics(IMeterFactory factory, TlsListeners listeners, TimeProvider time)
    {
        var meter = factory.Create(MeterName);
        _reloads = meter.CreateCounter<long>("portico.tls.certificate.reloads", "{reload}", "Certificate files read again after a change, by result (applied, refused)");
        _orders = meter.CreateCounter<long>("portico.acme.orders", "{order}", "ACME certificate orders, by result (issued, failed)");
        _cipherRefusals = meter.CreateCounter<long>("portico.tls.cipher.refusals", "{connection}", "TLS connections on a resumable listener closed after the handshake because the negotiated suite is outside the allowed ones, by listener");
        meter.CreateObservableGauge("portico.tls.certificate.expiry", () => Expiry(listeners, time), "s", "Seconds until a served certificate expires, by listener, certificate (first name) and source");
    }

    public void Reloaded(bool applied) => _reloads.Add(1, new KeyValuePair<string, object?>("result", applied ? "applied" : "refused"));

    public void Ordered(bool issued) => _orders.Add(1, new KeyValuePair<string, object?>("result", issued ? "issued" : "failed"));

    public void CipherRefused(string listener) => _cipherRefusals.Add(1, new KeyValuePair<string, object?>("listener", listener));

    private static IEnumerable<Measurement<double>> Expiry(TlsListeners listeners, TimeProvider time)
    {
        var now = time.GetUtcNow();
        foreach (var listener in listeners.All)
        {
            foreach (var certificate in listener.Serving())
            {
                yield return new Measurement<double>(
                    (certificate.NotAfter - now).TotalSeconds,
                    new KeyValuePair<string, object?>("listener", listener.Listener),
                    new KeyValuePair<string, object?>("certificate", certificate.Names.FirstOrDefault() ?? ""),
                    new KeyValuePair<string, object?>("source", certificate.Kind));
            }
        }
    }
}
