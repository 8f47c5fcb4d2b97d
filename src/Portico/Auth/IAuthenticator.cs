using Microsoft.AspNetCore.Http;

namespace Portico.Auth;

/// <summary>One authentication scheme of a route, built at config load.</summary>
internal interface IAuthenticator
{
    /// <summary>The scheme's name (AuthSchemeNames).</summary>
    string Scheme { get; }

    /// <summary>
    /// The challenge for `WWW-Authenticate` on a 401 (RFC 9110 §11.6.1), or null when the scheme
    /// has none; <paramref name="refused"/> tells whether this scheme refused the credentials sent.
    /// </summary>
    string? Challenge(bool refused);

    ValueTask<AuthAttempt> AuthenticateAsync(HttpContext context);

    /// <summary>Removes what this scheme reads from the request, so the backend does not see it (unless the route forwards credentials).</summary>
    void RemoveCredentials(HttpRequest request);
}
