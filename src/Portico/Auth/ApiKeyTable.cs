using System.Collections.Frozen;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Configuration.Yaml;

namespace Portico.Auth;

/// <summary>
/// The valid API keys by the SHA-256 of the key. Looking a digest up in a table leaks nothing an
/// attacker can use: to aim at a stored digest they would need a preimage, so no byte-by-byte
/// constant-time comparison is needed here (the secret is never compared directly).
/// </summary>
internal sealed class ApiKeyTable(IEnumerable<ApiKeyEntry> keys)
{
    private readonly FrozenDictionary<string, ApiKeyEntry> _byDigest = keys.ToFrozenDictionary(k => Convert.ToHexString(k.Sha256), StringComparer.Ordinal);

    public int Count => _byDigest.Count;

    public ApiKeyEntry? Find(ReadOnlySpan<byte> sha256) => _byDigest.GetValueOrDefault(Convert.ToHexString(sha256));

    /// <summary>A key file: a YAML mapping with a `keys` list shaped as a route's `apiKey.keys`.</summary>
    public static IReadOnlyList<ApiKeyEntry>? ParseFile(string text, ConfigErrors errors)
    {
        var root = YamlTreeReader.Read(text, errors);
        var lines = new ConfigLines();
        if (MapReader.For(root ?? new MappingNode(1, []), "", errors, lines, 1) is not { } m)
        {
            return null;
        }

        var keys = AuthBinder.BindKeys(m);
        m.Finish();
        return errors.Any ? null : keys;
    }
}
