using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Portico.Tls.Acme;

/// <summary>
/// Keeps this instance's certificates and the ones in Redis in step, newest wins: a newer
/// shared certificate is saved to the local folder (which stays the source at start-up and
/// while Redis is away) and served, with the shared account key, so a later renewal by this
/// instance uses the same account; a certificate only this instance has (from its folder, or
/// ordered while Redis was away) is offered to the others so they load it rather than order.
/// Redis not answering changes nothing here: the certificate already held stays served.
/// </summary>
internal sealed class AcmeSharedCertificates(AcmeShare share, AcmeStorage storage, AcmeCertificates certificates, AcmeLog log)
{
    public async ValueTask SyncAsync(string host)
    {
        var answer = await share.CertificateAsync(host);
        if (!answer.Ok)
        {
            return;
        }

        var current = certificates.Issued(host);
        var shared = answer.Value;
        var sharedNotAfter = shared is null ? null : NotAfter(shared);
        if (shared is null || sharedNotAfter is null || (current is not null && current.NotAfter > sharedNotAfter))
        {
            // Only this instance has it, or a newer one: the others load it rather than order.
            if (current is not null && storage.Read(host) is { } mine)
            {
                await share.PublishAsync(host, mine, onlyIfNone: shared is null);
            }

            return;
        }

        if (current is not null && current.NotAfter == sharedNotAfter)
        {
            return;
        }

        try
        {
            storage.Save(host, shared.Chain, shared.Key);
            var loaded = new ServerCertificate(storage.Load(host)!, "ACME certificate " + storage.CertificatePath(host), "acme");
            certificates.Set(host, loaded);
            log.LoadedShared(host, loaded.NotAfter, storage.CertificatePath(host));
        }
        catch (Exception e) when (e is CertificateFileException or IOException or UnauthorizedAccessException)
        {
            log.StoredUnusable(host, e.Message);
            return;
        }

        if (await share.StoredAccountAsync() is { } account)
        {
            AdoptAccount(account);
        }
    }

    /// <summary>The account key every instance uses (this one's offered first when none is shared); this one's own while Redis does not answer.</summary>
    public async ValueTask<string> AccountAsync()
    {
        var local = storage.AccountKeyPem();
        return share.Enabled && await share.AccountAsync(local) is { } shared ? AdoptAccount(shared) : local;
    }

    private string AdoptAccount(string pem)
    {
        if (pem != storage.AccountKeyPem())
        {
            storage.SaveAccountKey(pem);
            log.AccountShared(storage.AccountKeyPath);
        }

        return pem;
    }

    /// <summary>The leaf's expiry, when the chain and key are a usable pair; null for anything else, which is then not taken.</summary>
    private static DateTimeOffset? NotAfter(SharedCertificate certificate)
    {
        try
        {
            using var leaf = X509Certificate2.CreateFromPem(certificate.Chain, certificate.Key);
            return leaf.NotAfter.ToUniversalTime();
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
