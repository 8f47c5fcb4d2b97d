using System.Security.Claims;

namespace Portico.Auth;

/// <summary>
/// Who a request was authenticated as: the scheme, the name passed on to the backend, and the
/// claims the route's rules and identity headers read. Set as a request feature once a
/// request is allowed, so later stages (the cache, RFC 9111 §3.5) know it carried credentials.
/// </summary>
internal sealed class AuthIdentity(string scheme, string name, IReadOnlyList<Claim> claims)
{
    /// <summary>The claim type an API key's name is kept under.</summary>
    public const string ApiKeyClaim = "portico:api-key";

    public const string ScopeClaim = "scope";

    public string Scheme { get; } = scheme;

    public string Name { get; } = name;

    public ClaimsPrincipal Principal { get; } = new(new ClaimsIdentity(claims.Prepend(new Claim(ClaimTypes.Name, name)), scheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>Every value of claims of <paramref name="type"/>; a space-separated `scope` claim (RFC 8693 §4.2) counts as one value per scope.</summary>
    public IEnumerable<string> Values(string type)
    {
        foreach (var claim in Principal.FindAll(type))
        {
            if (type == ScopeClaim)
            {
                foreach (var scope in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    yield return scope;
                }
            }
            else
            {
                yield return claim.Value;
            }
        }
    }
}
