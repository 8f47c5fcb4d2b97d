using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>One route's auth, built at config load: its schemes in order and the challenges a 401 carries.</summary>
internal sealed class RouteAuth(string routeId, RouteAuthSettings settings, IReadOnlyList<IAuthenticator> schemes)
{
    public string RouteId { get; } = routeId;

    public RouteAuthSettings Settings { get; } = settings;

    public IReadOnlyList<IAuthenticator> Schemes { get; } = schemes;

    /// <summary>Whether a 401 can carry a challenge (RFC 9110 §15.5.2): some scheme has one.</summary>
    public bool CanChallenge { get; } = schemes.Any(s => s.Challenge(refused: false) is not null);

    /// <summary>One `WWW-Authenticate` value per scheme that has a challenge (RFC 9110 §11.6.1); <paramref name="refusedBy"/> refused the credentials sent.</summary>
    public string[] Challenges(string? refusedBy) => Schemes.Select(s => s.Challenge(s.Scheme == refusedBy)).OfType<string>().ToArray();
}
