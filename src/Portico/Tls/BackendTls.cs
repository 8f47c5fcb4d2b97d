using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Portico.Configuration.Model;

namespace Portico.Tls;

/// <summary>
/// TLS toward https:// destinations: verification against the system store (the default) or a
/// cluster's own CA bundle, the explicit insecureSkipVerify, and a client certificate.
/// </summary>
internal static class BackendTls
{
    /// <summary>A text that changes whenever the handler must be rebuilt.</summary>
    public static string Describe(BackendTlsSettings? tls)
        => tls is null ? "" : $"{tls.CaPath}|{tls.InsecureSkipVerify}|{tls.ClientCertificate}";

    public static void Configure(SocketsHttpHandler handler, string cluster, BackendTlsSettings tls, TlsLog? log)
    {
        var ssl = handler.SslOptions;
        ssl.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
        if (tls.InsecureSkipVerify)
        {
            log?.InsecureBackend(cluster);
            ssl.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (tls.CaPath is { } caPath)
        {
            var cas = CertificateFiles.LoadBundle(caPath);
            // The name check stays with SslStream (its errors flag); the chain is judged against the bundle only.
            ssl.RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
            {
                var ok = cert is not null && TrustedChain.Verify(cert, chain, cas) && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
                if (!ok)
                {
                    log?.BackendCertificateRejected(cluster, ssl.TargetHost ?? "", errors.ToString());
                }

                return ok;
            };
        }

        if (tls.ClientCertificate is { } source)
        {
            var loaded = CertificateFiles.Load(source);
            // A context with the chain, so a backend that trusts only our root still gets the intermediates.
            ssl.ClientCertificateContext = loaded.Context();
        }
    }
}
