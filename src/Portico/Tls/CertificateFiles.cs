using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portico.Configuration.Model;

namespace Portico.Tls;

/// <summary>A certificate file that cannot be used, with the operator-facing reason.</summary>
internal sealed class CertificateFileException(string message) : Exception(message);

/// <summary>Reads certificates and keys from PEM and PKCS#12 files.</summary>
internal static class CertificateFiles
{
    /// <summary>The leaf (with its private key) and the chain after it; throws <see cref="CertificateFileException"/> (its message names no path).</summary>
    public static LoadedCertificate Load(CertificateSource source)
    {
        try
        {
            return source.PfxPath is { } pfx ? LoadPkcs12(pfx, source.Password) : LoadPem(source.CertPath!, source.KeyPath, source.Password);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateFileException($"cannot be read: {ex.Message}");
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            var reason = ex is ArgumentException { ParamName: { } name } ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
            throw new CertificateFileException($"is not a usable certificate and key: {reason}");
        }
    }

    /// <summary>Every certificate in a PEM bundle (a CA list); at least one.</summary>
    public static X509Certificate2Collection LoadBundle(string path)
    {
        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateFileException($"cannot be read: {ex.Message}");
        }
        catch (CryptographicException ex)
        {
            throw new CertificateFileException($"is not a PEM certificate bundle: {ex.Message}");
        }

        return bundle.Count > 0 ? bundle : throw new CertificateFileException("holds no PEM certificate");
    }

    private static LoadedCertificate LoadPem(string certPath, string? keyPath, string? password)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certPath);
        if (all.Count == 0)
        {
            throw new CertificateFileException("holds no PEM certificate");
        }

        var leaf = password is null
            ? X509Certificate2.CreateFromPemFile(certPath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certPath, password, keyPath);
        return new LoadedCertificate(leaf, [.. all.Skip(1)]);
    }

    private static LoadedCertificate LoadPkcs12(string path, string? password)
    {
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new CertificateFileException("holds no certificate with a private key");
        return new LoadedCertificate(leaf, [.. all.Where(c => !ReferenceEquals(c, leaf))]);
    }
}

/// <summary>A leaf certificate with its key and the intermediates to send with it.</summary>
internal sealed record LoadedCertificate(X509Certificate2 Leaf, IReadOnlyList<X509Certificate2> Chain) : IDisposable
{
    /// <summary>A handshake context: the leaf and its chain, built offline (no AIA fetches on the handshake path).</summary>
    public SslStreamCertificateContext Context() => SslStreamCertificateContext.Create(Leaf, new X509Certificate2Collection(Chain.ToArray()), offline: true);

    public void Dispose()
    {
        Leaf.Dispose();
        foreach (var c in Chain)
        {
            c.Dispose();
        }
    }
}
