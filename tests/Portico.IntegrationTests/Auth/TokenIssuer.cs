using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>
/// A test token issuer: RSA keys, a JWK Set served by a real Kestrel server on 127.0.0.1 (its
/// request count shows how often Portico fetched it), and tokens signed with any of its keys.
/// </summary>
internal sealed class TokenIssuer : IAsyncDisposable
{
    public const string Issuer = "https://issuer.test";
    public const string Audience = "orders-api";

    private readonly List<RsaSecurityKey> _published = [];
    private TestBackend _server = null!;

    public int JwksFetches => _server.Count;

    public string JwksUrl => _server.Url + "/jwks.json";

    /// <summary>The `auth.jwt` keys that trust this issuer, for a flow mapping.</summary>
    public string Settings => $"issuer: {Issuer}, audience: {Audience}, jwksUrl: \"{JwksUrl}\"";

    /// <summary>An issuer whose JWK Set lists <paramref name="published"/>.</summary>
    public static async Task<TokenIssuer> StartAsync(params RsaSecurityKey[] published)
    {
        var issuer = new TokenIssuer();
        issuer.Publish(published);
        issuer._server = await TestBackend.StartAsync("jwks", issuer.ServeAsync);
        return issuer;
    }

    public static RsaSecurityKey NewKey(string id) => new(RSA.Create(2048)) { KeyId = id };

    /// <summary>Replaces the keys the JWK Set lists.</summary>
    public void Publish(params RsaSecurityKey[] keys)
    {
        lock (_published)
        {
            _published.Clear();
            _published.AddRange(keys);
        }
    }

    /// <summary>A token signed by <paramref name="key"/>; <paramref name="edit"/> changes the descriptor before signing.</summary>
    public static string Token(SecurityKey key, string subject = "alice", Action<SecurityTokenDescriptor>? edit = null, string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["sub"] = subject },
            SigningCredentials = new SigningCredentials(key, algorithm),
        };
        edit?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (`alg: none`, RFC 7519 §6) with valid claims.</summary>
    public static string Unsigned(string kid)
    {
        static string Part(object value) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value)));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return $"{Part(new { alg = "none", typ = "JWT", kid })}.{Part(new { iss = Issuer, aud = Audience, sub = "mallory", nbf = now - 60, exp = now + 600 })}.";
    }

    private Task ServeAsync(HttpContext context)
    {
        string json;
        lock (_published)
        {
            var set = new { keys = _published.Select(k => JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(k.Rsa.ExportParameters(false)) { KeyId = k.KeyId })).Select(j => new { kty = j.Kty, kid = j.Kid, use = "sig", alg = "RS256", n = j.N, e = j.E }) };
            json = JsonSerializer.Serialize(set);
        }

        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
