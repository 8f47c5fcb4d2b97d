using Portico.Configuration.Model;
using Portico.Tls.Acme;

namespace Portico.Tls;

/// <summary>
/// The certificates of one HTTPS listener and the SNI choice among them: an ACME host's own
/// certificate, then an exact name, then a wildcard, then the default (the first file, else
/// the first ACME host, else the development certificate).
/// </summary>
internal sealed class ListenerCertificates(string listener, IReadOnlyList<CertificateSlot> files, IReadOnlyList<string> acmeHosts, AcmeCertificates acme, ServerCertificate? development)
{
    public string Listener { get; } = listener;

    public IReadOnlyList<CertificateSlot> Files { get; } = files;

    /// <summary>Every certificate this listener can serve now, for metrics.</summary>
    public IEnumerable<ServerCertificate> Serving()
        => Files.Select(f => f.Current).Concat(acmeHosts.Select(acme.Get)).Concat(development is null ? [] : [development]);

    /// <summary>Runs in every handshake: indexed loops, no enumerator or closure allocated (issue 25).</summary>
    public ServerCertificate Select(string? serverName)
    {
        if (!string.IsNullOrEmpty(serverName))
        {
            for (var i = 0; i < acmeHosts.Count; i++)
            {
                if (string.Equals(acmeHosts[i], serverName, StringComparison.OrdinalIgnoreCase))
                {
                    return acme.Get(serverName.ToLowerInvariant());
                }
            }

            for (var i = 0; i < Files.Count; i++)
            {
                if (Files[i].Current.Named(serverName))
                {
                    return Files[i].Current;
                }
            }

            for (var i = 0; i < Files.Count; i++)
            {
                if (Files[i].Current.Covers(serverName))
                {
                    return Files[i].Current;
                }
            }
        }

        return Files.Count > 0 ? Files[0].Current : acmeHosts.Count > 0 ? acme.Get(acmeHosts[0]) : development!;
    }

    public static ListenerCertificates Create(ListenerSettings listener, AcmeCertificates acme, TimeProvider time, TlsLog log)
    {
        var tls = listener.Tls!;
        var slots = new List<CertificateSlot>();
        foreach (var source in tls.Certificates)
        {
            var certificate = new ServerCertificate(CertificateFiles.Load(source), source.ToString(), "file");
            slots.Add(new CertificateSlot(source, certificate));
            log.Serving(listener.Name, certificate.Origin, string.Join(", ", certificate.Names), certificate.NotAfter);
        }

        ServerCertificate? development = null;
        if (tls.UsesDevelopmentCertificate)
        {
            string[] names = ["localhost", Environment.MachineName.ToLowerInvariant()];
            development = new ServerCertificate(SelfSignedCertificate.Create(names, TimeSpan.FromDays(365), time, withLoopbackAddresses: true), "self-signed development certificate", "development");
            log.DevelopmentCertificate(listener.Name, string.Join(", ", names.Append("127.0.0.1").Append("::1")));
        }

        return new ListenerCertificates(listener.Name, slots, tls.AcmeHosts, acme, development);
    }
}
