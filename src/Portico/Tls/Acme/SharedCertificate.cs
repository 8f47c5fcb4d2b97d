using System.Text.Json;

namespace Portico.Tls.Acme;

/// <summary>A certificate as Redis holds it: the PEM chain and its private key's PEM, as one JSON string.</summary>
internal sealed record SharedCertificate(string Chain, string Key)
{
    public string Json() => JsonSerializer.Serialize(new Dictionary<string, string> { ["chain"] = Chain, ["key"] = Key });

    /// <summary>Null for a value that is not one (written by something else): it is then ordered again, not trusted.</summary>
    public static SharedCertificate? Parse(string json)
    {
        try
        {
            var values = JsonSerializer.Deserialize<Dictionary<string, string>>(json);
            return values is not null && values.TryGetValue("chain", out var chain) && values.TryGetValue("key", out var key) ? new SharedCertificate(chain, key) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
