using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Portico.Tls;

/// <summary>Judges a peer's certificate against a configured CA bundle only, never the system store.</summary>
internal static class TrustedChain
{
    /// <param name="presented">The peer's certificate.</param>
    /// <param name="sent">The chain SslStream built from what the peer sent: its intermediates are used to reach a root.</param>
    /// <param name="roots">The only trusted roots.</param>
    /// <param name="usage">An extended key usage the leaf must allow (e.g. client authentication), or null.</param>
    public static bool Verify(X509Certificate presented, X509Chain? sent, X509Certificate2Collection roots, Oid? usage = null)
    {
        var cert = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        // Revocation is not checked: no OCSP/CRL fetches on the handshake path.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var element in sent?.ChainElements.Skip(1) ?? [])
        {
            chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        if (usage is not null)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(usage);
        }

        return chain.Build(cert);
    }
}
