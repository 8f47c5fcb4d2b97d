using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>
/// `auth.apiKey`: a key in a header or query parameter, valid when its SHA-256 is listed (in
/// the config, or the key file as last loaded). The identity is the key's name; its scopes
/// become `scope` claims.
/// </summary>
internal sealed class ApiKeyAuthenticator(ApiKeyAuthSettings settings, ApiKeyTable inline, WatchedFile<ApiKeyTable>? file) : IAuthenticator
{
    public string Scheme => AuthSchemeNames.ApiKey;

    // No registered scheme exists for API keys; the challenge names where the key goes, with
    // auth-params as RFC 9110 §11.2 lets any scheme carry.
    private readonly string _challenge = settings.Header is { } header ? $"ApiKey header=\"{header}\"" : $"ApiKey query=\"{settings.Query}\"";

    public string? Challenge(bool refused) => _challenge;

    public ValueTask<AuthAttempt> AuthenticateAsync(HttpContext context) => ValueTask.FromResult(Authenticate(context.Request));

    private AuthAttempt Authenticate(HttpRequest request)
    {
        var key = settings.Header is { } header ? request.Headers[header].ToString() : "";
        if (key.Length == 0 && settings.Query is { } query)
        {
            key = request.Query[query].ToString();
        }

        if (key.Length == 0)
        {
            return AuthAttempt.None;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), digest);
        if ((inline.Find(digest) ?? file?.Current.Find(digest)) is not { } entry)
        {
            return AuthAttempt.Refused;
        }

        var claims = new List<Claim> { new(AuthIdentity.ApiKeyClaim, entry.Name) };
        claims.AddRange(entry.Scopes.Select(s => new Claim(AuthIdentity.ScopeClaim, s)));
        return AuthAttempt.Success(new AuthIdentity(Scheme, entry.Name, claims));
    }

    /// <summary>Removes the key from what is forwarded (unless the route forwards credentials).</summary>
    public void RemoveCredentials(HttpRequest request)
    {
        if (settings.Header is { } header)
        {
            request.Headers.Remove(header);
        }

        if (settings.Query is { } query && request.Query.ContainsKey(query))
        {
            var rest = request.Query.Where(q => !string.Equals(q.Key, query, StringComparison.Ordinal));
            request.QueryString = QueryString.Create(rest);
        }
    }
}
