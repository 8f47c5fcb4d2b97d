using Microsoft.IdentityModel.Tokens;

namespace Portico.Auth;

/// <summary>Where a route's JWT signing keys come from: files read at load, or a JWKS URL fetched and cached.</summary>
internal interface ISigningKeys
{
    /// <summary>The keys to validate with now; may fetch them on first use or once they are stale.</summary>
    ValueTask<IReadOnlyList<SecurityKey>> KeysAsync(AuthLog log, CancellationToken cancellationToken);

    /// <summary>Fetches the keys again for a token whose `kid` is unknown, unless that was done too recently; true when they were.</summary>
    ValueTask<bool> RefreshAsync(AuthLog log, CancellationToken cancellationToken);
}
