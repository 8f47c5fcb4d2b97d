using Portico.Configuration.Model;

namespace Portico.Tls;

/// <summary>
/// One configured certificate file and what it currently serves. A reload swaps the whole
/// certificate in one write; a file that fails to load leaves the previous one in place.
/// </summary>
internal sealed class CertificateSlot(CertificateSource source, ServerCertificate initial)
{
    private volatile ServerCertificate _current = initial;

    public CertificateSource Source { get; } = source;

    public ServerCertificate Current => _current;

    /// <summary>Reads the files again; returns the new certificate, or throws <see cref="CertificateFileException"/>.</summary>
    public ServerCertificate Reload()
    {
        var loaded = CertificateFiles.Load(Source);
        var next = new ServerCertificate(loaded, Source.ToString());
        _current = next;
        return next;
    }
}
