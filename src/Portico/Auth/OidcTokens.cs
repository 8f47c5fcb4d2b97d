using System.Text.Json;

namespace Portico.Auth;

/// <summary>A successful token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3): the tokens Portico keeps and when the access token expires.</summary>
internal sealed record OidcTokens(string? IdToken, string? RefreshToken, TimeSpan? ExpiresIn)
{
    /// <summary>Reads a token response body; null when it is not a JSON object with an `access_token`.</summary>
    public static OidcTokens? Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("access_token", out var access) || access.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            TimeSpan? expiresIn = root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : null;
            return new OidcTokens(Text(root, "id_token"), Text(root, "refresh_token"), expiresIn);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
