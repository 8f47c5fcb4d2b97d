using System.Buffers.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Portico.Auth;

/// <summary>
/// What a login started and its callback must agree on, sent to the provider encrypted as the
/// `state` parameter (RFC 6749 §10.12): the correlation id that the browser's own cookie must
/// repeat (so a callback started in another browser is refused), where to return, the `nonce`
/// the ID token must carry (OpenID Connect Core §3.1.2.1) and the PKCE verifier (RFC 7636 §4.1).
/// </summary>
internal sealed record OidcLoginState(string Correlation, string ReturnTo, string Nonce, string Verifier, DateTimeOffset Started)
{
    public string Protect(IDataProtector protector)
        => Base64Url.EncodeToString(protector.Protect(JsonSerializer.SerializeToUtf8Bytes(new[] { Correlation, ReturnTo, Nonce, Verifier, Started.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) })));

    /// <summary>The state in a callback; null when this key ring did not make it for this route.</summary>
    public static OidcLoginState? Unprotect(IDataProtector protector, string value)
    {
        try
        {
            var parts = JsonSerializer.Deserialize<string[]>(protector.Unprotect(Base64Url.DecodeFromChars(value)));
            return parts is [var correlation, var returnTo, var nonce, var verifier, var started] && long.TryParse(started, out var seconds)
                ? new OidcLoginState(correlation, returnTo, nonce, verifier, DateTimeOffset.FromUnixTimeSeconds(seconds))
                : null;
        }
        catch (Exception ex) when (ex is FormatException or System.Security.Cryptography.CryptographicException or JsonException)
        {
            return null;
        }
    }
}
