using System.Buffers.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Portico.Auth;

/// <summary>
/// A logged-in browser's session, kept whole in its encrypted cookie (Portico stores nothing):
/// the ID token (the caller's claims, and the `id_token_hint` of RP-initiated logout), the
/// refresh token, when the access token expires and when the session ends whatever happens.
/// </summary>
internal sealed record OidcSession(string Id, string IdToken, string? RefreshToken, DateTimeOffset AccessExpires, DateTimeOffset Ends)
{
    public string Protect(IDataProtector protector)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", Id);
            json.WriteString("it", IdToken);
            if (RefreshToken is not null)
            {
                json.WriteString("rt", RefreshToken);
            }

            json.WriteNumber("ae", AccessExpires.ToUnixTimeSeconds());
            json.WriteNumber("se", Ends.ToUnixTimeSeconds());
            json.WriteEndObject();
        }

        return Base64Url.EncodeToString(protector.Protect(buffer.ToArray()));
    }

    /// <summary>The session in a cookie value; null when it was not made by this key ring for this purpose (tampered, forged, another route's).</summary>
    public static OidcSession? Unprotect(IDataProtector protector, string value)
    {
        try
        {
            using var doc = JsonDocument.Parse(protector.Unprotect(Base64Url.DecodeFromChars(value)));
            var root = doc.RootElement;
            return new OidcSession(
                root.GetProperty("id").GetString()!,
                root.GetProperty("it").GetString()!,
                root.TryGetProperty("rt", out var rt) ? rt.GetString() : null,
                DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("ae").GetInt64()),
                DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("se").GetInt64()));
        }
        catch (Exception ex) when (ex is FormatException or System.Security.Cryptography.CryptographicException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
