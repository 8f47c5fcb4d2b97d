using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>One route's auth, built at config load: its schemes in order and the challenges a 401 carries.</summary>
internal sealed class RouteAuth(string routeId, RouteAuthSettings settings, IReadOnlyList<IAuthenticator> schemes)
{
    public string RouteId { get; } = routeId;

    public RouteAuthSettings Settings { get; } = settings;

    public IReadOnlyList<IAuthenticator> Schemes { get; } = schemes;

    /// <summary>One `WWW-Authenticate` value per scheme that has a challenge (RFC 9110 §11.6.1); empty when none has.</summary>
    public string[] Challenges { get; } = schemes.Select(s => s.Challenge).OfType<string>().ToArray();
}
