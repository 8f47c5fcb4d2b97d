using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Portico.Configuration;

namespace Portico.Auth;

/// <summary>`jwt.publicKeys`: RSA or EC public keys from PEM files, read once per config load; the key id is the file name without its extension.</summary>
internal sealed class StaticSigningKeys(IReadOnlyList<SecurityKey> keys) : ISigningKeys
{
    public ValueTask<IReadOnlyList<SecurityKey>> KeysAsync(AuthLog log, CancellationToken cancellationToken) => ValueTask.FromResult(keys);

    public ValueTask<bool> RefreshAsync(AuthLog log, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    /// <summary>The keys in <paramref name="files"/>; each file that cannot be used is an error naming it.</summary>
    public static StaticSigningKeys Load(IReadOnlyList<string> files, Action<string> error)
    {
        var keys = new List<SecurityKey>();
        foreach (var file in files)
        {
            string pem;
            try
            {
                pem = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error($"{file} cannot be read: {ex.Message}");
                continue;
            }

            var id = Path.GetFileNameWithoutExtension(file);
            if (pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                error($"{file} holds a private key; give the public key only (openssl pkey -pubout)");
            }
            else if (pem.Contains("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal) && Import(pem, id) is { } key)
            {
                keys.Add(key);
            }
            else
            {
                error($"{file} is not a PEM RSA or EC public key (-----BEGIN PUBLIC KEY-----)");
            }
        }

        return new StaticSigningKeys(keys);
    }

    private static SecurityKey? Import(string pem, string id)
    {
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa) { KeyId = id };
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
        }

        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return new ECDsaSecurityKey(ec) { KeyId = id };
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            return null;
        }
    }
}
