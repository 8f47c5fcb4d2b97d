using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Portico.Tls.Acme;

/// <summary>
/// The ACME account key and the JSON Web Signatures made with it (RFC 8555 §6.2): ES256
/// (ECDSA P-256, SHA-256, signature as r‖s per RFC 7518 §3.4), flattened JSON serialization.
/// </summary>
internal sealed class AcmeJws(ECDsa key) : IDisposable
{
    public ECDsa Key { get; } = key;

    /// <summary>The public key as a JWK (RFC 7517/7518 §6.2.1), members in the order RFC 7638 hashes them.</summary>
    public SortedDictionary<string, string> Jwk()
    {
        var p = Key.ExportParameters(includePrivateParameters: false);
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["crv"] = "P-256",
            ["kty"] = "EC",
            ["x"] = Base64Url.EncodeToString(p.Q.X),
            ["y"] = Base64Url.EncodeToString(p.Q.Y),
        };
    }

    /// <summary>RFC 7638 §3: SHA-256 over the required members, sorted, no whitespace; base64url.</summary>
    public static string Thumbprint(IReadOnlyDictionary<string, string> requiredMembers)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in requiredMembers.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
        }

        return Base64Url.EncodeToString(SHA256.HashData(buffer.ToArray()));
    }

    public string Thumbprint() => Thumbprint(Jwk());

    /// <summary>The key authorization of a challenge token (RFC 8555 §8.1).</summary>
    public string KeyAuthorization(string token) => $"{token}.{Thumbprint()}";

    /// <summary>
    /// A signed request body. <paramref name="kid"/> null embeds the JWK (only newAccount may,
    /// §6.2); <paramref name="payload"/> null is POST-as-GET, whose payload is the empty string (§6.3).
    /// </summary>
    public byte[] Sign(string url, string nonce, string? kid, object? payload)
    {
        var header = new Dictionary<string, object> { ["alg"] = "ES256", ["nonce"] = nonce, ["url"] = url };
        if (kid is null)
        {
            header["jwk"] = Jwk();
        }
        else
        {
            header["kid"] = kid;
        }

        var protectedPart = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header));
        var payloadPart = payload is null ? "" : Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = Key.SignData(Encoding.ASCII.GetBytes($"{protectedPart}.{payloadPart}"), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["protected"] = protectedPart,
            ["payload"] = payloadPart,
            ["signature"] = Base64Url.EncodeToString(signature),
        });
    }

    public void Dispose() => Key.Dispose();
}
