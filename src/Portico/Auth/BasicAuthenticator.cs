using System.Buffers.Text;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>
/// `auth.basic`: RFC 7617 Basic against an htpasswd file of bcrypt hashes. bcrypt compares in
/// constant time, and an unknown user is verified against a dummy hash (see <see cref="Htpasswd"/>).
/// </summary>
internal sealed class BasicAuthenticator(BasicAuthSettings settings, WatchedFile<Htpasswd> users) : IAuthenticator
{
    public string Scheme => AuthSchemeNames.Basic;

    // RFC 7617 §2.1: charset="UTF-8" tells the client how to encode user and password.
    private readonly string _challenge = $"Basic realm=\"{settings.Realm}\", charset=\"UTF-8\"";

    public string? Challenge(bool refused) => _challenge;

    public ValueTask<AuthAttempt> AuthenticateAsync(HttpContext context) => ValueTask.FromResult(Authenticate(context.Request));

    private AuthAttempt Authenticate(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        // RFC 9110 §11.1: the scheme name is case-insensitive.
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthAttempt.None;
        }

        var encoded = authorization.AsSpan(6).Trim();
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
        if (!Convert.TryFromBase64Chars(encoded, bytes, out var length))
        {
            return AuthAttempt.Refused;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return AuthAttempt.Refused;
        }

        // RFC 7617 §2: the user-id cannot contain ':'; the password may.
        var colon = text.IndexOf(':');
        if (colon <= 0)
        {
            return AuthAttempt.Refused;
        }

        var user = text[..colon];
        return users.Current.Verify(user, text[(colon + 1)..])
            ? AuthAttempt.Success(new AuthIdentity(Scheme, user, []))
            : AuthAttempt.Refused;
    }

    public void RemoveCredentials(HttpRequest request) => request.Headers.Remove(HeaderNames.Authorization);
}
