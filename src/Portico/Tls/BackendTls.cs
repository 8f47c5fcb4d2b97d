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
            ssl.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            {
                var ok = cert is not null && ChainsTo(cert, cas) && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
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

    /// <summary>The name check stays with SslStream (its errors flag); the chain is judged against the bundle only.</summary>
    private static bool ChainsTo(X509Certificate presented, X509Certificate2Collection cas)
    {
        var cert = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(cas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }
}
