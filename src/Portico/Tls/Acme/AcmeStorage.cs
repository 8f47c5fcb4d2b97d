using System.Security.Cryptography;

namespace Portico.Tls.Acme;

/// <summary>
/// The ACME folder: `account.key.pem` and `certificates/HOST.pem` + `HOST.key.pem`. Private keys
/// are created with mode 0600 in a 0700 folder, and every file is written to a temporary name and
/// renamed, so a crash never leaves half a certificate.
/// </summary>
internal sealed class AcmeStorage(string folder)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerFolder = OwnerOnly | UnixFileMode.UserExecute;

    public string AccountKeyPath => Path.Combine(folder, "account.key.pem");

    public string CertificatePath(string host) => Path.Combine(folder, "certificates", host + ".pem");

    public string KeyPath(string host) => Path.Combine(folder, "certificates", host + ".key.pem");

    /// <summary>The stored account key, or a new one saved first.</summary>
    public ECDsa AccountKey()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        key.ImportFromPem(AccountKeyPem());
        return key;
    }

    /// <summary>The stored account key's PEM, or a new key's, saved first.</summary>
    public string AccountKeyPem()
    {
        if (File.Exists(AccountKeyPath))
        {
            return File.ReadAllText(AccountKeyPath);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportPkcs8PrivateKeyPem();
        SaveAccountKey(pem);
        return pem;
    }

    /// <summary>Replaces the account key (with the one every instance shares).</summary>
    public void SaveAccountKey(string pem) => Write(AccountKeyPath, pem, OwnerOnly);

    /// <summary>The stored certificate for <paramref name="host"/>, or null when none is stored or it cannot be read.</summary>
    public LoadedCertificate? Load(string host)
    {
        if (!File.Exists(CertificatePath(host)) || !File.Exists(KeyPath(host)))
        {
            return null;
        }

        return CertificateFiles.Load(new Configuration.Model.CertificateSource { CertPath = CertificatePath(host), KeyPath = KeyPath(host) });
    }

    public void Save(string host, string chainPem, string keyPem)
    {
        // The key first: a certificate file never exists without its key.
        Write(KeyPath(host), keyPem, OwnerOnly);
        Write(CertificatePath(host), chainPem, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>The stored certificate's chain and key as written, to share them.</summary>
    public SharedCertificate? Read(string host)
        => File.Exists(CertificatePath(host)) && File.Exists(KeyPath(host)) ? new SharedCertificate(File.ReadAllText(CertificatePath(host)), File.ReadAllText(KeyPath(host))) : null;

    private static void Write(string path, string text, UnixFileMode mode)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else
        {
            Directory.CreateDirectory(dir, OwnerFolder);
        }

        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }

        File.Move(temp, path, overwrite: true);
    }
}
