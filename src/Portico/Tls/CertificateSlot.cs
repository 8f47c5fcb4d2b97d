using System.Security.Cryptography;
using Portico.Configuration.Model;

namespace Portico.Tls;

/// <summary>
/// One configured certificate file and what it currently serves. A reload swaps the whole
/// certificate in one write; a file that fails to load leaves the previous one in place.
/// </summary>
internal sealed class CertificateSlot(CertificateSource source, ServerCertificate initial)
{
    private volatile ServerCertificate _current = initial;
    private string _stamp = Stamp(source);

    public CertificateSource Source { get; } = source;

    public ServerCertificate Current => _current;

    /// <summary>Whether the files' contents differ from the ones last read.</summary>
    public bool Changed => Stamp(Source) != _stamp;

    /// <summary>Reads the files again; returns the new certificate, or throws <see cref="CertificateFileException"/>.</summary>
    public ServerCertificate Reload()
    {
        _stamp = Stamp(Source);
        var loaded = CertificateFiles.Load(Source);
        var next = new ServerCertificate(loaded, Source.ToString(), "file");
        _current = next;
        return next;
    }

    /// <summary>
    /// A hash of the files' contents: certificate files are small, and through a swapped
    /// directory link neither the path nor the link's own time changes.
    /// </summary>
    private static string Stamp(CertificateSource source)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in source.Files)
        {
            try
            {
                hash.AppendData(File.ReadAllBytes(file));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(ex.GetType().Name));
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
